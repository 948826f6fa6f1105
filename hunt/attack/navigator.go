package attack

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/output"
)

// The Navigator layer follows version 4.5 of the ATT&CK Navigator layer
// file format (layers/LAYERFORMATv4_5.md in mitre-attack/attack-navigator):
// the required fields are name, domain ("enterprise-attack"), and in the
// versions object layer ("4.5") and navigator (at least "4.9.0"); each
// technique object requires techniqueID ("T####" or "T####.###"). The
// optional attack version is left out, so the Navigator shows the layer on
// its current ATT&CK: the rules do not say which version they were written
// for. Techniques carry no tactic, so each shows under every tactic it
// belongs to.

// Layer format versions written.
const (
	LayerVersion     = "4.5"
	NavigatorVersion = "4.9.0"
	Domain           = "enterprise-attack"
)

// maxCommentRules bounds the rule titles named in a technique's comment;
// its metadata lists them all.
const maxCommentRules = 10

// Layer is an ATT&CK Navigator layer (the fields loghunt writes).
type Layer struct {
	Name        string      `json:"name"`
	Versions    Versions    `json:"versions"`
	Domain      string      `json:"domain"`
	Description string      `json:"description"`
	Sorting     int         `json:"sorting"`
	Layout      Layout      `json:"layout"`
	HideDisable bool        `json:"hideDisabled"`
	Techniques  []Technique `json:"techniques"`
	Gradient    Gradient    `json:"gradient"`
	Metadata    []Metadata  `json:"metadata"`
}

// Versions is the layer's versions object.
type Versions struct {
	Layer     string `json:"layer"`
	Navigator string `json:"navigator"`
}

// Layout is the layer's layout object.
type Layout struct {
	Layout                string `json:"layout"`
	ShowID                bool   `json:"showID"`
	ShowName              bool   `json:"showName"`
	ExpandedSubtechniques string `json:"expandedSubtechniques"`
}

// Technique is one technique object: scored by hits.
type Technique struct {
	TechniqueID string     `json:"techniqueID"`
	Score       int        `json:"score"`
	Comment     string     `json:"comment"`
	Enabled     bool       `json:"enabled"`
	Metadata    []Metadata `json:"metadata,omitempty"`
}

// Gradient is the layer's gradient object.
type Gradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// Metadata is a name and a value.
type Metadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NewLayer builds the layer of t: every technique with hits, scored by
// the hits of the rules tagged with it, in ID order; the gradient runs
// from white at 0 to red at the highest score.
func NewLayer(t *Tally, name string) *Layer {
	if name == "" {
		name = "loghunt hits"
	}
	l := &Layer{
		Name:        name,
		Versions:    Versions{Layer: LayerVersion, Navigator: NavigatorVersion},
		Domain:      Domain,
		Description: fmt.Sprintf("Techniques scored by the hits of a loghunt hunt: %d hits, %d of them by rules without an ATT&CK technique tag.", t.Hits(), t.untaggedTechnique()),
		Sorting:     3, // by score, descending
		Layout:      Layout{Layout: "side", ShowID: true, ShowName: true, ExpandedSubtechniques: "annotated"},
		Techniques:  []Technique{},
		Metadata:    []Metadata{{Name: "generator", Value: "loghunt"}, {Name: "hits", Value: strconv.Itoa(t.Hits())}},
	}
	top := 0
	for _, c := range t.Techniques() {
		top = max(top, c.Hits)
		comment := fmt.Sprintf("%d hits: %s", c.Hits, strings.Join(c.Rules[:min(len(c.Rules), maxCommentRules)], "; "))
		if len(c.Rules) > maxCommentRules {
			comment += fmt.Sprintf("; and %d more rules", len(c.Rules)-maxCommentRules)
		}
		tech := Technique{TechniqueID: c.Technique, Score: c.Hits, Comment: comment, Enabled: true}
		for _, r := range c.Rules {
			tech.Metadata = append(tech.Metadata, Metadata{Name: "rule", Value: r})
		}
		l.Techniques = append(l.Techniques, tech)
	}
	// ID order: a layer diffs well between runs.
	sortTechniques(l.Techniques)
	l.Gradient = Gradient{Colors: []string{"#ffffff", "#ff6666"}, MinValue: 0, MaxValue: max(top, 1)}
	return l
}

func sortTechniques(ts []Technique) {
	slices.SortFunc(ts, func(a, b Technique) int { return strings.Compare(a.TechniqueID, b.TechniqueID) })
}

// untaggedTechnique counts the hits of rules without a technique tag.
func (t *Tally) untaggedTechnique() int {
	n := 0
	for _, r := range t.rules {
		if len(r.techniques) == 0 {
			n += r.hits
		}
	}
	return n
}

// LayerWriter writes a Navigator layer of the hits it is given: it is an
// output.Writer, so it takes the hits beside the run's main output. It keeps
// one entry per rule, not per hit, and writes the layer at Close; it does
// not close w.
type LayerWriter struct {
	w     io.Writer
	name  string
	tally Tally
}

// NewLayerWriter returns a LayerWriter writing to w; name is the layer's
// name ("" is "loghunt hits").
func NewLayerWriter(w io.Writer, name string) *LayerWriter {
	return &LayerWriter{w: w, name: name}
}

// WriteHit implements output.Writer.
func (lw *LayerWriter) WriteHit(h *hunt.Hit) error {
	lw.tally.Add(h.Rule)
	return nil
}

// Close implements output.Writer: it writes the layer as indented JSON.
func (lw *LayerWriter) Close(*output.Summary) error {
	enc := json.NewEncoder(lw.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewLayer(&lw.tally, lw.name))
}

var _ output.Writer = (*LayerWriter)(nil)
