// Per-channel histograms before and after normalization, drawn into a PNG (pixnorm check --plot).
#ifndef PIXNORM_TOOLS_PLOT_H
#define PIXNORM_TOOLS_PLOT_H

#include <cstdint>
#include <string>
#include <vector>

namespace pixnorm_cli {

constexpr int kPlotWidth = 960;
constexpr int kPlotTitleHeight = 40;
constexpr int kPlotRowHeight = 180;
inline int plot_height(size_t rows) { return kPlotTitleHeight + kPlotRowHeight * static_cast<int>(rows); }

struct HistogramRow {
  std::string label;     // "R"
  uint8_t rgb[3];        // bar colour
  const uint64_t* counts;  // 256: samples of each uint8 value
  const float* values;     // 256: the normalized value of each uint8 value
  double mean, std;        // of the normalized samples
};

// One row per channel: the uint8 histogram (0..255) on the left, the normalized one on the
// right on an axis shared by the rows, with 0 and +-1 marked. Returns the PNG file's bytes.
std::string histogram_png(const std::string& title, const std::vector<HistogramRow>& rows);

}  // namespace pixnorm_cli

#endif
