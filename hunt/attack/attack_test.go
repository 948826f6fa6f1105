package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/hunt/app"
	"github.com/loghunt/loghunt/internal/testshared"
)

func TestParseTags(t *testing.T) {
	tests := []struct {
		name       string
		tags       []string
		tactics    []string
		techniques []string
	}{
		{"dashes and underscores", []string{"attack.credential-access", "attack.Credential_Access", "attack.t1003.001", "attack.T1003.001"},
			[]string{"credential-access"}, []string{"T1003.001"}},
		{"matrix order", []string{"attack.impact", "attack.execution", "attack.t1059", "attack.t1486"},
			[]string{"execution", "impact"}, []string{"T1059", "T1486"}},
		{"v19 and older spellings", []string{"attack.stealth", "attack.defense_evasion", "attack.defense-impairment"},
			[]string{"defense-evasion", "stealth", "defense-impairment"}, nil},
		{"groups, software and others ignored", []string{"attack.g0007", "attack.s0002", "cve.2021-44228", "attack.t12", "attack.t1059.1", "detection.threat-hunting", "attack.nonsense"},
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tac, tech := ParseTags(tt.tags)
			var names []string
			for _, i := range tac {
				names = append(names, Tactics[i].ShortName)
			}
			if !reflect.DeepEqual(names, tt.tactics) || !reflect.DeepEqual(tech, tt.techniques) {
				t.Errorf("ParseTags(%v) = %v, %v; want %v, %v", tt.tags, names, tech, tt.tactics, tt.techniques)
			}
		})
	}
}

// tally: rule A (execution, T1059.001) 3 hits; rule B (execution,
// persistence, T1053.005, T1059.001) 2 hits; rule C (T1003, no tactic) 1 hit;
// rule D (no ATT&CK tag) 4 hits.
func tally() *Tally {
	a := &hunt.Rule{ID: "a", Title: "A", Engine: "sigma", Tags: []string{"attack.execution", "attack.t1059.001"}}
	b := &hunt.Rule{ID: "b", Title: "B", Engine: "sigma", Tags: []string{"attack.persistence", "attack.execution", "attack.t1053.005", "attack.t1059.001"}}
	c := &hunt.Rule{ID: "c", Title: "C", Engine: "kql", Tags: []string{"attack.t1003"}}
	d := &hunt.Rule{ID: "d", Title: "D", Engine: "sigma", Tags: []string{"car.2013-05-004"}}
	var t Tally
	for _, x := range []struct {
		r *hunt.Rule
		n int
	}{{a, 3}, {b, 2}, {c, 1}, {d, 4}} {
		for range x.n {
			// A fresh copy each time: rules are told apart by id, engine
			// and title, not by pointer.
			r := *x.r
			t.Add(&r)
		}
	}
	return &t
}

func TestTacticCounts(t *testing.T) {
	got := tally().TacticCounts()
	type tech struct {
		id   string
		hits int
	}
	want := []struct {
		tactic string
		hits   int
		rules  []string
		techs  []tech
	}{
		{"execution", 5, []string{"A", "B"}, []tech{{"T1059.001", 5}, {"T1053.005", 2}}},
		{"persistence", 2, []string{"B"}, []tech{{"T1053.005", 2}, {"T1059.001", 2}}},
		{"", 1, []string{"C"}, []tech{{"T1003", 1}}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tactics, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Tactic.ShortName != w.tactic || g.Hits != w.hits || !reflect.DeepEqual(g.Rules, w.rules) {
			t.Errorf("tactic %d = %s %d %v, want %s %d %v", i, g.Tactic.ShortName, g.Hits, g.Rules, w.tactic, w.hits, w.rules)
		}
		var techs []tech
		for _, c := range g.Techniques {
			techs = append(techs, tech{c.Technique, c.Hits})
		}
		if !reflect.DeepEqual(techs, w.techs) {
			t.Errorf("%s techniques = %v, want %v", w.tactic, techs, w.techs)
		}
	}
	if n := tally().Untagged(); n != 4 {
		t.Errorf("Untagged = %d, want 4", n)
	}
}

// ValidateLayer checks a layer against the required fields of the ATT&CK
// Navigator layer format 4.5 (layers/LAYERFORMATv4_5.md): name and domain
// (one of three values); versions.layer "4.5" and versions.navigator;
// techniqueID "T####" or "T####.###" on every technique; score a number;
// a gradient has at least two colours and maxValue > minValue; metadata
// has name and value strings.
func ValidateLayer(data []byte) []string {
	var l map[string]any
	if err := json.Unmarshal(data, &l); err != nil {
		return []string{err.Error()}
	}
	var bad []string
	str := func(m map[string]any, k string) (string, bool) {
		s, ok := m[k].(string)
		return s, ok
	}
	if s, ok := str(l, "name"); !ok || s == "" {
		bad = append(bad, "name: required string")
	}
	switch d, _ := str(l, "domain"); d {
	case "enterprise-attack", "mobile-attack", "ics-attack":
	default:
		bad = append(bad, "domain: must be enterprise-attack, mobile-attack or ics-attack")
	}
	if v, ok := l["versions"].(map[string]any); ok {
		if s, _ := str(v, "layer"); s != "4.5" {
			bad = append(bad, "versions.layer: must be \"4.5\"")
		}
		if s, ok := str(v, "navigator"); !ok || s < "4.9.0" {
			bad = append(bad, "versions.navigator: required, at least 4.9.0")
		}
	} else {
		bad = append(bad, "versions: the object that says the format is 4.5")
	}
	id := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	techs, _ := l["techniques"].([]any)
	for _, x := range techs {
		tm, _ := x.(map[string]any)
		if s, _ := str(tm, "techniqueID"); !id.MatchString(s) {
			bad = append(bad, "techniques["+s+"]: bad techniqueID")
		}
		if _, ok := tm["score"].(float64); tm["score"] != nil && !ok {
			bad = append(bad, "techniques: score must be a number")
		}
		for _, md := range asList(tm["metadata"]) {
			mm, _ := md.(map[string]any)
			_, n := str(mm, "name")
			_, v := str(mm, "value")
			if !n || !v {
				bad = append(bad, "techniques: metadata needs name and value")
			}
		}
	}
	if g, ok := l["gradient"].(map[string]any); ok {
		if len(asList(g["colors"])) < 2 {
			bad = append(bad, "gradient.colors: at least two")
		}
		lo, ok1 := g["minValue"].(float64)
		hi, ok2 := g["maxValue"].(float64)
		if !ok1 || !ok2 || hi <= lo {
			bad = append(bad, "gradient: minValue and maxValue required, maxValue > minValue")
		}
	}
	for _, md := range asList(l["metadata"]) {
		mm, _ := md.(map[string]any)
		_, n := str(mm, "name")
		_, v := str(mm, "value")
		if !n || !v {
			bad = append(bad, "metadata needs name and value")
		}
	}
	return bad
}

func asList(v any) []any { l, _ := v.([]any); return l }

func TestLayer(t *testing.T) {
	var buf bytes.Buffer
	lw := NewLayerWriter(&buf, "")
	for _, r := range []*hunt.Rule{
		{ID: "a", Title: "A & <b>", Tags: []string{"attack.execution", "attack.t1059.001"}},
		{ID: "a", Title: "A & <b>", Tags: []string{"attack.execution", "attack.t1059.001"}},
		{ID: "c", Title: "C", Tags: []string{"attack.t1003"}},
		{ID: "d", Title: "D"},
	} {
		if err := lw.WriteHit(&hunt.Hit{Rule: r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := lw.Close(nil); err != nil {
		t.Fatal(err)
	}
	if bad := ValidateLayer(buf.Bytes()); len(bad) > 0 {
		t.Fatalf("invalid layer: %v\n%s", bad, buf.String())
	}
	var l Layer
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	// Scores by hand: T1003 1 hit (C), T1059.001 2 hits (A twice), in ID order.
	if len(l.Techniques) != 2 || l.Techniques[0].TechniqueID != "T1003" || l.Techniques[0].Score != 1 ||
		l.Techniques[1].TechniqueID != "T1059.001" || l.Techniques[1].Score != 2 {
		t.Errorf("techniques %+v", l.Techniques)
	}
	if l.Techniques[1].Comment != "2 hits: A & <b>" || l.Gradient.MaxValue != 2 {
		t.Errorf("comment %q, gradient %+v", l.Techniques[1].Comment, l.Gradient)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"description": "Techniques scored by the hits of a loghunt hunt: 4 hits, 1 of them by rules without an ATT&CK technique tag."`)) {
		t.Errorf("description:\n%s", buf.String())
	}
}

func TestLayerNoHits(t *testing.T) {
	var buf bytes.Buffer
	if err := NewLayerWriter(&buf, "x").Close(nil); err != nil {
		t.Fatal(err)
	}
	if bad := ValidateLayer(buf.Bytes()); len(bad) > 0 {
		t.Fatalf("invalid empty layer: %v\n%s", bad, buf.String())
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"techniques": []`)) {
		t.Errorf("no techniques list:\n%s", buf.String())
	}
}

// TestLayerSamples hunts samples/ with the bundled rules and validates the
// layer: its techniques are those of the bundled rules that fire there,
// scored by their hits.
func TestLayerSamples(t *testing.T) {
	plan, err := app.Prepare(app.Config{Paths: []string{filepath.Join(testshared.RepoRoot(), "samples")}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lw := NewLayerWriter(&buf, "samples")
	plan.Options.Sink = plan.NewSink(lw.WriteHit)
	res, err := plan.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(nil); err != nil {
		t.Fatal(err)
	}
	if bad := ValidateLayer(buf.Bytes()); len(bad) > 0 {
		t.Fatalf("invalid layer: %v\n%s", bad, buf.String())
	}
	var l Layer
	if err := json.Unmarshal(buf.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	// Every hit of a rule tagged with a technique scores it: the sum of
	// the scores is at least the hits of such rules, and each score is at
	// most the run's hits.
	if res.Counts.Hits == 0 || len(l.Techniques) == 0 {
		t.Fatalf("no hits (%d) or no techniques: %s", res.Counts.Hits, buf.String())
	}
	for _, tech := range l.Techniques {
		if tech.Score < 1 || tech.Score > res.Counts.Hits {
			t.Errorf("%s scored %d of %d hits", tech.TechniqueID, tech.Score, res.Counts.Hits)
		}
	}
	if l.Metadata[1].Value != strconv.Itoa(res.Counts.Hits) {
		t.Errorf("hits metadata %q, run counted %d", l.Metadata[1].Value, res.Counts.Hits)
	}
}
