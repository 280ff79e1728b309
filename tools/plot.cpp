#include "plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

extern "C" {  // stb_write_impl.c
int pixnorm_cli_png_to_func(void (*func)(void*, void*, int), void* context, int w, int h, int comp, const void* data,
                            int stride);
int pixnorm_cli_text_quads(float x, float y, const char* text, void* vertices, int bytes);
int pixnorm_cli_text_width(const char* text);
}

namespace pixnorm_cli {
namespace {

struct Rgb {
  uint8_t r, g, b;
};
constexpr Rgb kInk{40, 40, 40}, kAxis{90, 90, 90}, kGrid{225, 225, 225},
    kRefLine{150, 150, 150};

constexpr int kBins = 64;        // 4 uint8 values per bar
constexpr int kPanelLeft[2] = {56, 526};
constexpr int kPanelWidth = 384;  // kBins * 6
constexpr int kPlotTop = 30, kPlotBottom = 140;  // within a row

class Canvas {
 public:
  Canvas(int w, int h) : w_(w), h_(h), px_(static_cast<size_t>(w) * h * 3, 255) {}

  void fill(int x0, int y0, int x1, int y1, Rgb c) {  // [x0, x1) x [y0, y1), clipped
    x0 = std::max(x0, 0), y0 = std::max(y0, 0), x1 = std::min(x1, w_), y1 = std::min(y1, h_);
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) {
        uint8_t* p = &px_[(static_cast<size_t>(y) * w_ + x) * 3];
        p[0] = c.r, p[1] = c.g, p[2] = c.b;
      }
  }
  void vline(int x, int y0, int y1, Rgb c, int dash = 0) {
    for (int y = y0; y < y1; ++y)
      if (!dash || (y - y0) / dash % 2 == 0) fill(x, y, x + 1, y + 1, c);
  }
  void hline(int x0, int x1, int y, Rgb c) { fill(x0, y, x1, y + 1, c); }

  // stb_easy_font draws with axis-aligned quads on an integer grid: scaled by an integer
  // they stay crisp.
  void text(int x, int y, const std::string& s, Rgb c, int scale = 1) {
    std::vector<char> buffer(s.size() * 1024 + 1024);  // at most 14 quads of 64 bytes per glyph
    const char* quads = buffer.data();
    const int n = pixnorm_cli_text_quads(0, 0, s.c_str(), buffer.data(), static_cast<int>(buffer.size()));
    for (int q = 0; q < n; ++q) {
      float xs[4], ys[4];
      for (int v = 0; v < 4; ++v) {
        const char* vertex = quads + (q * 4 + v) * 16;  // x, y, z floats and a colour
        std::memcpy(&xs[v], vertex, sizeof(float));
        std::memcpy(&ys[v], vertex + 4, sizeof(float));
      }
      const float x0 = *std::min_element(xs, xs + 4), x1 = *std::max_element(xs, xs + 4);
      const float y0 = *std::min_element(ys, ys + 4), y1 = *std::max_element(ys, ys + 4);
      fill(x + static_cast<int>(x0) * scale, y + static_cast<int>(y0) * scale, x + static_cast<int>(x1) * scale,
           y + static_cast<int>(y1) * scale, c);
    }
  }
  static int text_width(const std::string& s, int scale = 1) { return pixnorm_cli_text_width(s.c_str()) * scale; }

  std::string png() const {
    std::string out;
    auto sink = [](void* context, void* data, int size) {
      static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
    };
    if (!pixnorm_cli_png_to_func(sink, &out, w_, h_, 3, px_.data(), w_ * 3))
      throw std::runtime_error("cannot encode the plot as PNG");
    return out;
  }

 private:
  int w_, h_;
  std::vector<uint8_t> px_;
};

std::string tick_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// A step of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`.
double nice_step(double span, int count) {
  const double raw = span / count, p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

void axis(Canvas& cv, int left, int top, const std::vector<std::pair<int, std::string>>& ticks) {
  cv.hline(left, left + kPanelWidth + 1, top + kPlotBottom, kAxis);
  cv.vline(left, top + kPlotTop - 4, top + kPlotBottom + 1, kAxis);
  for (const auto& t : ticks) {
    cv.vline(t.first, top + kPlotBottom, top + kPlotBottom + 5, kAxis);
    cv.text(t.first - Canvas::text_width(t.second) / 2, top + kPlotBottom + 9, t.second, kInk);
  }
}

}  // namespace

std::string histogram_png(const std::string& title, const std::vector<HistogramRow>& rows) {
  Canvas cv(kPlotWidth, plot_height(rows.size()));
  cv.text(kPanelLeft[0], 12, title, kInk, 2);

  // The normalized axis is shared by every row, symmetric about 0 and at least -3..3, so that
  // the rows compare and a distribution far from 0 or far from unit width shows as such.
  double reach = 3;
  for (const HistogramRow& r : rows)
    for (int x = 0; x < 256; ++x)
      if (r.counts[x]) reach = std::max(reach, std::fabs(static_cast<double>(r.values[x])));
  const double step = nice_step(2 * reach, 6);
  reach = std::ceil(reach / step) * step;
  auto after_x = [&](double v) {
    return kPanelLeft[1] + static_cast<int>(std::lround((v + reach) / (2 * reach) * kPanelWidth));
  };

  for (size_t i = 0; i < rows.size(); ++i) {
    const HistogramRow& r = rows[i];
    const int top = kPlotTitleHeight + static_cast<int>(i) * kPlotRowHeight;
    const Rgb bar{r.rgb[0], r.rgb[1], r.rgb[2]};
    char stats[96];
    std::snprintf(stats, sizeof(stats), "mean %.3g, std %.3g", r.mean, r.std);
    cv.text(kPanelLeft[0], top + 8, r.label + " before: uint8 values", kInk, 2);
    cv.text(kPanelLeft[1], top + 8, r.label + " after: " + stats, kInk, 2);

    uint64_t bins[kBins] = {0}, peak = 0;
    for (int x = 0; x < 256; ++x) bins[x * kBins / 256] += r.counts[x];
    for (uint64_t b : bins) peak = std::max(peak, b);
    for (int side = 0; side < 2; ++side) {
      const int left = kPanelLeft[side];
      for (int g = 1; g <= 4; ++g)  // light gridlines at quarters of the highest bar
        cv.hline(left + 1, left + kPanelWidth + 1, top + kPlotBottom - g * (kPlotBottom - kPlotTop) / 4, kGrid);
    }
    // The normalization is affine per channel, so the normalized histogram is the uint8 one
    // with each bar moved to where its values land: same heights, other positions and widths.
    const double half = (static_cast<double>(r.values[255]) - r.values[0]) / 255 / 2;
    for (int b = 0; b < kBins && peak; ++b) {
      if (!bins[b]) continue;
      const int height = static_cast<int>(std::lround(static_cast<double>(bins[b]) / peak * (kPlotBottom - kPlotTop)));
      const int y0 = top + kPlotBottom - std::max(height, 1);
      const int bx = kPanelLeft[0] + b * kPanelWidth / kBins;
      cv.fill(bx + 1, y0, bx + kPanelWidth / kBins, top + kPlotBottom, bar);
      // A one-pixel gap between bars, unless they are too narrow to spare it.
      const int ax0 = after_x(r.values[b * 4] - half), ax1 = after_x(r.values[b * 4 + 3] + half);
      cv.fill(ax1 - ax0 >= 4 ? ax0 + 1 : ax0, y0, std::max(ax1, ax0 + 1), top + kPlotBottom, bar);
    }
    for (double v : {-1.0, 1.0}) cv.vline(after_x(v), top + kPlotTop - 4, top + kPlotBottom, kRefLine, 3);
    cv.vline(after_x(0), top + kPlotTop - 4, top + kPlotBottom, kInk);

    std::vector<std::pair<int, std::string>> before_ticks, after_ticks;
    for (int v : {0, 64, 128, 192, 255})
      before_ticks.emplace_back(kPanelLeft[0] + static_cast<int>(std::lround((v + 0.5) * kPanelWidth / 256)),
                                std::to_string(v));
    for (double v = -reach; v <= reach + step / 2; v += step)
      after_ticks.emplace_back(after_x(v), tick_text(std::fabs(v) < step / 2 ? 0.0 : v));
    axis(cv, kPanelLeft[0], top, before_ticks);
    axis(cv, kPanelLeft[1], top, after_ticks);
  }
  return cv.png();
}

}  // namespace pixnorm_cli
