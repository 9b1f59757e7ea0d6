package render

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// A long error label is cut on a character boundary, so the page stays
// valid UTF-8 whatever the server's message was written in.
func TestBarLabelCutOnRunes(t *testing.T) {
	label := strings.Repeat("é", 20) + strings.Repeat("错误", 20)
	svg := string(Chart{ID: "c", Title: "t", Bars: []Bar{{Label: label, Value: 1}}}.SVG())
	if !utf8.ValidString(svg) {
		t.Fatal("the chart is not valid UTF-8")
	}
	if !strings.Contains(svg, strings.Repeat("é", 20)+strings.Repeat("错误", 8)+"错…") {
		t.Errorf("label not cut at 37 characters: %s", svg)
	}
}
