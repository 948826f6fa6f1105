package report

import (
	"fmt"
	"strings"
	"time"
)

// The chart's geometry, in SVG user units; the SVG scales to the page.
const (
	chartW, chartH            = 1000, 240
	padLeft, padRight, padTop = 56, 12, 12
	padBottom                 = 40
	maxBins                   = 60
	plotW, plotH              = chartW - padLeft - padRight, chartH - padTop - padBottom
	xLabels                   = 6
	levelCount                = 6
)

// levelColors fill each level's bars, by level rank.
var levelColors = [levelCount]string{"#8e0000", "#e53935", "#fb8c00", "#fdd835", "#90a4ae", "#bdbdbd"}

// binSteps are the bin widths the chart may use, smallest first: the first
// that needs at most maxBins bins over the hits' span is used.
var binSteps = []time.Duration{
	time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
	24 * time.Hour, 2 * 24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour,
	30 * 24 * time.Hour, 91 * 24 * time.Hour, 182 * 24 * time.Hour, 365 * 24 * time.Hour,
}

// bins counts the hits per bin and level: the step, the first bin's start
// (Unix ms, a multiple of the step) and the counts. ok is false without a
// timed hit.
func (r *Writer) bins() (step int64, start int64, counts [][levelCount]int, ok bool) {
	first, last, ok := r.timeRange()
	if !ok {
		return 0, 0, nil, false
	}
	span := last - first
	step = binSteps[len(binSteps)-1].Milliseconds()
	for _, s := range binSteps {
		if span/s.Milliseconds() < maxBins {
			step = s.Milliseconds()
			break
		}
	}
	start = floorDiv(first, step) * step
	n := (last-start)/step + 1
	counts = make([][levelCount]int, n)
	for i, t := range r.times {
		if t == noTime {
			continue
		}
		counts[(t-start)/step][min(int(r.levels[i]), levelCount-1)]++
	}
	return step, start, counts, true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// chart writes the hits over time, stacked by level, as inline SVG (no
// namespace attribute: in HTML, <svg> needs none, and the file names no
// URL). Each bar's segments have a <title>: the bin and its count.
func (r *Writer) chart(b *strings.Builder) {
	b.WriteString("<section id=\"timeline\"><h2>Hits over time</h2>\n")
	step, start, counts, ok := r.bins()
	fmt.Fprintf(b, "<svg id=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"hits over time, stacked by level\">", chartW, chartH)
	if !ok {
		fmt.Fprintf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no hit with a time</text></svg>", chartW/2, chartH/2)
		b.WriteString("</section>\n")
		return
	}
	top := 1
	for _, c := range counts {
		sum := 0
		for _, v := range c {
			sum += v
		}
		top = max(top, sum)
	}
	// Axes and the y ticks: 0, half and the top.
	fmt.Fprintf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", padLeft, padTop+plotH, padLeft+plotW, padTop+plotH)
	fmt.Fprintf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", padLeft, padTop, padLeft, padTop+plotH)
	for _, v := range []int{0, top / 2, top} {
		if v == top/2 && (v == 0 || v == top) {
			continue
		}
		y := padTop + plotH - float64(v)*plotH/float64(top)
		fmt.Fprintf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", padLeft, y, padLeft+plotW, y)
		fmt.Fprintf(b, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>", padLeft-6, y+4, v)
	}
	bw := float64(plotW) / float64(len(counts))
	gap := min(bw*0.15, 2)
	// Stack critical at the bottom, so the few severe hits are not lost on
	// top of many low ones.
	for i, c := range counts {
		x := float64(padLeft) + float64(i)*bw + gap/2
		y := float64(padTop + plotH)
		binStart := start + int64(i)*step
		for lv := 0; lv < levelCount; lv++ {
			if c[lv] == 0 {
				continue
			}
			h := float64(c[lv]) * plotH / float64(top)
			y -= h
			fmt.Fprintf(b, "<rect class=\"bar lv-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s: %d %s</title></rect>",
				levelNames[lv], x, y, max(bw-gap, 0.5), h, levelColors[lv], esc(r.msText(binStart)), c[lv], levelNames[lv])
		}
	}
	// X labels at evenly spaced bins.
	layout := "01-02 15:04"
	if step >= (24 * time.Hour).Milliseconds() {
		layout = "2006-01-02"
	} else if step < time.Minute.Milliseconds() {
		layout = "15:04:05"
	}
	k := max(1, (len(counts)+xLabels-1)/xLabels)
	for i := 0; i < len(counts); i += k {
		x := float64(padLeft) + float64(i)*bw
		t := time.UnixMilli(start + int64(i)*step).In(r.loc)
		fmt.Fprintf(b, "<text class=\"tick\" x=\"%.1f\" y=\"%d\">%s</text>", x, padTop+plotH+16, esc(t.Format(layout)))
	}
	fmt.Fprintf(b, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">bins of %s</text>", padLeft+plotW, padTop+plotH+34, esc(stepText(step)))
	b.WriteString("</svg>\n<p class=\"legend\">")
	for lv := range levelCount {
		fmt.Fprintf(b, "<span><i style=\"background:%s\"></i>%s</span> ", levelColors[lv], levelNames[lv])
	}
	b.WriteString("</p>\n")
	untimed := 0
	for _, t := range r.times {
		if t == noTime {
			untimed++
		}
	}
	if untimed > 0 {
		fmt.Fprintf(b, "<p class=\"hint\">%d hits without a time (KQL rows not tied to an event) are not in the chart.</p>\n", untimed)
	}
	b.WriteString("</section>\n")
}

// stepText names a bin width.
func stepText(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return fmt.Sprintf("%d seconds", d/time.Second)
}

// attackView writes hits per tactic, in the matrix's order, each with its
// techniques; a technique filters the table to its hits.
func (r *Writer) attackView(b *strings.Builder) {
	b.WriteString("<section id=\"attack\"><h2>MITRE ATT&amp;CK</h2>\n<p class=\"hint\">Hits per tactic and technique, from the rules' attack.* tags: a hit counts under every tactic and technique its rule names. Click a technique to show its hits in the table.</p>\n<div class=\"matrix\">")
	counts := r.tally.TacticCounts()
	for _, c := range counts {
		name, id := c.Tactic.Name, c.Tactic.ID
		if name == "" {
			name, id = "(no tactic tag)", ""
		}
		b.WriteString("<div class=\"tactic\">")
		fmt.Fprintf(b, "<h3>%s <small>%s</small></h3><p class=\"tactic-hits\">%d hits</p><ul>", esc(name), esc(id), c.Hits)
		for _, t := range c.Techniques {
			fmt.Fprintf(b, "<li class=\"pick\" data-tech=\"%s\" title=\"%s\"><span class=\"id\">%s</span><span class=\"num\">%d</span></li>",
				esc(t.Technique), esc(strings.Join(t.Rules, "; ")), esc(t.Technique), t.Hits)
		}
		if len(c.Techniques) == 0 {
			b.WriteString("<li class=\"none\">no technique tag</li>")
		}
		b.WriteString("</ul></div>")
	}
	b.WriteString("</div>\n")
	if len(counts) == 0 {
		b.WriteString("<p>No hit of a rule with an ATT&amp;CK tag.</p>\n")
	}
	if n := r.tally.Untagged(); n > 0 {
		fmt.Fprintf(b, "<p class=\"hint\">%d hits are of rules without an ATT&amp;CK tag.</p>\n", n)
	}
	b.WriteString("</section>\n")
}
