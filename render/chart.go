// Package render draws reports and comparisons as self-contained HTML
// pages: inline CSS and inline SVG charts drawn here, no JavaScript and
// nothing fetched, so a page works offline and from an archive.
package render

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH                     = 640, 300
	marginL, marginR, marginT, marginB = 64, 16, 34, 44
	plotW, plotH                       = chartW - marginL - marginR, chartH - marginT - marginB
)

// palette colours series in order; readable on white and in grey scale.
var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#7f7f7f"}

// Series is one line or set of points.
type Series struct {
	Name   string
	Points [][2]float64
	// Dots draws points instead of a line.
	Dots bool
	// Step draws a cumulative step line (CDFs).
	Step bool
}

// Bar is one bar of a categorical chart.
type Bar struct {
	Label string
	Value float64
}

// Chart is one figure: series on x/y axes, or horizontal bars.
type Chart struct {
	ID, Title      string
	XLabel, YLabel string
	Series         []Series
	Bars           []Bar
	// Empty is shown in the plot area when there is nothing to draw.
	Empty string
	// Marks are labelled vertical lines at x values (the end of a
	// window's duration, of its grace).
	Marks []Mark
}

// Mark is a labelled vertical line.
type Mark struct {
	X     float64
	Label string
}

// SVG draws the chart.
func (c Chart) SVG() template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, esc(c.Title))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>`, chartW, chartH)
	fmt.Fprintf(&b, `<text x="%d" y="20" class="title">%s</text>`, marginL, esc(c.Title))
	switch {
	case len(c.Bars) > 0:
		c.bars(&b)
	case c.hasPoints():
		c.plot(&b)
	default:
		c.frame(&b, false)
		msg := c.Empty
		if msg == "" {
			msg = "no data"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" class="empty">%s</text>`, marginL+plotW/2, marginT+plotH/2, esc(msg))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (c Chart) hasPoints() bool {
	for _, s := range c.Series {
		if len(s.Points) > 0 {
			return true
		}
	}
	return false
}

// axis is a value range mapped onto the plot.
type axis struct{ lo, hi float64 }

func (a axis) scale(v float64, length float64) float64 {
	if a.hi == a.lo {
		return 0
	}
	return (v - a.lo) / (a.hi - a.lo) * length
}

// niceAxis widens [lo, hi] to round tick values and returns the ticks.
func niceAxis(lo, hi float64) (axis, []float64) {
	if math.IsInf(lo, 0) || math.IsNaN(lo) || math.IsInf(hi, 0) || math.IsNaN(hi) {
		lo, hi = 0, 1
	}
	if hi <= lo {
		hi = lo + math.Max(math.Abs(lo), 1)
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	a := axis{math.Floor(lo/step) * step, math.Ceil(hi/step) * step}
	var ticks []float64
	for v := a.lo; v <= a.hi+step/2; v += step {
		ticks = append(ticks, v)
	}
	return a, ticks
}

func (c Chart) plot(b *strings.Builder) {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), 0.0, math.Inf(-1)
	for _, s := range c.Series {
		for _, p := range s.Points {
			xlo, xhi = math.Min(xlo, p[0]), math.Max(xhi, p[0])
			ylo, yhi = math.Min(ylo, p[1]), math.Max(yhi, p[1])
		}
	}
	for _, m := range c.Marks {
		xhi = math.Max(xhi, m.X)
	}
	xa, xt := niceAxis(math.Min(xlo, 0), xhi)
	ya, yt := niceAxis(ylo, yhi)
	c.frame(b, true)
	for _, v := range xt {
		x := marginL + xa.scale(v, plotW)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="grid"/>`, x, marginT, x, marginT+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" class="tick">%s</text>`, x, marginT+plotH+16, num(v))
	}
	for _, v := range yt {
		y := marginT + plotH - ya.scale(v, plotH)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" class="grid"/>`, marginL, y, marginL+plotW, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" class="tick">%s</text>`, marginL-6, y+4, num(v))
	}
	for i, m := range c.Marks {
		x := marginL + xa.scale(m.X, plotW)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class="mark" stroke="#555" stroke-dasharray="5 4"/>`, x, marginT, x, marginT+plotH)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" class="tick">%s</text>`, x+4, marginT+plotH-8-14*i, esc(m.Label))
	}
	for i, s := range c.Series {
		color := palette[i%len(palette)]
		pt := func(p [2]float64) (float64, float64) {
			return marginL + xa.scale(p[0], plotW), marginT + plotH - ya.scale(p[1], plotH)
		}
		if s.Dots {
			for _, p := range s.Points {
				x, y := pt(p)
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.2" fill="%s" fill-opacity="0.6"/>`, x, y, color)
			}
		} else {
			var path strings.Builder
			for j, p := range s.Points {
				x, y := pt(p)
				switch {
				case j == 0:
					fmt.Fprintf(&path, "M%.1f %.1f", x, y)
				case s.Step:
					_, prevY := pt(s.Points[j-1])
					fmt.Fprintf(&path, " L%.1f %.1f L%.1f %.1f", x, prevY, x, y)
				default:
					fmt.Fprintf(&path, " L%.1f %.1f", x, y)
				}
			}
			fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.8"/>`, path.String(), color)
		}
		// Legend, top right, one row per series.
		lx, ly := marginL+plotW-170, marginT+6+15*i
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="166" height="15" fill="#fff" fill-opacity="0.85"/>`, lx-4, ly-3)
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="legend">%s</text>`,
			lx, ly, color, lx+14, ly+9, esc(s.Name))
	}
}

// frame draws the axes and their labels.
func (c Chart) frame(b *strings.Builder, labels bool) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" class="plot"/>`, marginL, marginT, plotW, plotH)
	if !labels {
		return
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" class="label">%s</text>`, marginL+plotW/2, chartH-6, esc(c.XLabel))
	fmt.Fprintf(b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle" class="label">%s</text>`, marginT+plotH/2, esc(c.YLabel))
}

// bars draws horizontal bars, largest first as given.
func (c Chart) bars(b *strings.Builder) {
	c.frame(b, false)
	maxV := 0.0
	for _, bar := range c.Bars {
		maxV = math.Max(maxV, bar.Value)
	}
	n := min(len(c.Bars), 8)
	rowH := math.Min(float64(plotH)/float64(n), 36)
	labelW := 230.0
	for i, bar := range c.Bars[:n] {
		y := float64(marginT) + rowH*float64(i)
		w := 0.0
		if maxV > 0 {
			w = bar.Value / maxV * (plotW - labelW - 60)
		}
		label := bar.Label
		// Cut on a character boundary: a byte cut can split a UTF-8
		// sequence and leave the page invalid.
		if r := []rune(label); len(r) > 38 {
			label = string(r[:37]) + "…"
		}
		fmt.Fprintf(b, `<text x="%d" y="%.1f" class="tick">%s</text>`, marginL+6, y+rowH/2+4, esc(label))
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, float64(marginL)+labelW, y+rowH*0.2, math.Max(w, 1), rowH*0.6, palette[1])
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" class="tick">%s</text>`, float64(marginL)+labelW+math.Max(w, 1)+6, y+rowH/2+4, num(bar.Value))
	}
}

// num formats a tick or value compactly.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

func esc(s string) string { return html.EscapeString(s) }
