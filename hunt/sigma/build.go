package sigma

import (
	"context"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/loghunt/loghunt/internal/pool"
)

// Compile compiles every added rule and returns the Ruleset with the
// report. It never fails as a whole: each rule that cannot be used is in
// Report.Failed with its position and reason, and the rest load.
func (l *Loader) Compile() (*Ruleset, *Report) {
	rep := l.report
	rs := &Ruleset{fields: newFieldTable(), buckets: map[bucketKey][]*group{}, byRule: map[*Rule]int{}, threads: l.opts.Threads}
	rt, err := loadRouting()
	if err != nil {
		rep.Failed = append(rep.Failed, &LoadError{Path: "(routing)", Err: err})
		rs.finish()
		return rs, rep
	}

	// Index rule documents by id and name for references.
	byRef := map[string]*rawDoc{}
	firstPath := map[string]*rawDoc{}
	var docs []*rawDoc
	for _, d := range l.docs {
		if d.meta.ID != "" && d.kind != KindFilter {
			if prev, dup := firstPath[d.meta.ID]; dup {
				l.failDoc(d, &LoadError{Err: fmt.Errorf("%w %s: already loaded from %s:%d", ErrDuplicateID, d.meta.ID, prev.path, prev.node.Line)})
				continue
			}
			firstPath[d.meta.ID] = d
			byRef[d.meta.ID] = d
		}
		if d.meta.Name != "" && d.kind != KindFilter {
			if _, dup := byRef[d.meta.Name]; !dup {
				byRef[d.meta.Name] = d
			}
		}
		docs = append(docs, d)
	}

	// Selection, then the rules selected correlations need.
	selected := map[*rawDoc]bool{}
	needed := map[*rawDoc]bool{}
	for _, d := range docs {
		if d.kind == KindFilter {
			continue
		}
		if reason, opt := l.selected(d); reason != "" {
			rep.Skipped = append(rep.Skipped, Skip{Path: d.path, RuleID: d.meta.ID, Title: d.meta.Title, Name: d.meta.Name, Reason: reason})
			rep.SkippedBy[opt]++
			continue
		}
		selected[d] = true
	}
	var need func(d *rawDoc, depth int)
	need = func(d *rawDoc, depth int) {
		if depth > 32 || d.kind != KindCorrelation {
			return
		}
		for _, ref := range correlationRefs(d.node) {
			if t, ok := byRef[ref]; ok && !needed[t] {
				needed[t] = true
				need(t, depth+1)
			}
		}
	}
	for _, d := range docs {
		if selected[d] {
			need(d, 0)
		}
	}

	// Compile detection rules: in parallel, each with field ids of its
	// own, then in load order, where the ids become the Ruleset's (the
	// same ids, warnings and errors as one rule after the other).
	var todo []*rawDoc
	for _, d := range docs {
		if d.kind == KindDetection && (selected[d] || needed[d]) {
			todo = append(todo, d)
		}
	}
	results := compileRules(todo, &l.opts)
	conds := conditionCache{}
	compiled := map[*rawDoc]*compiledRule{}
	for i, d := range todo {
		res := &results[i]
		remap := make([]int, len(res.fields.names))
		for j, name := range res.fields.names {
			remap[j] = rs.fields.id(name)
		}
		cr, warns, err := res.cr, res.warns, res.err
		if err == nil {
			cr.det.remapFields(remap)
		}
		if err != nil {
			l.failDoc(d, err)
			continue
		}
		for _, w := range warns {
			rep.Warnings = append(rep.Warnings, l.note(d, w))
		}
		if !selected[d] {
			cr.rule.Generate = false
		}
		compiled[d] = cr
		rs.byRule[cr.rule] = len(rs.rules)
		rs.rules = append(rs.rules, cr)
		rep.Detection++
		rep.Rules = append(rep.Rules, cr.rule)
		if cr.det.agg != nil {
			c, err := legacyCorrelation(cr, d)
			if err != nil {
				l.failDoc(d, err)
				continue
			}
			cr.rule.Generate = false
			rs.corrs = append(rs.corrs, c)
		}
	}

	// Correlations, in dependency order (a correlation may name another).
	corrByDoc := map[*rawDoc]*correlation{}
	var build func(d *rawDoc, depth int) (*correlation, *LoadError)
	build = func(d *rawDoc, depth int) (*correlation, *LoadError) {
		if c, ok := corrByDoc[d]; ok {
			if c == nil {
				return nil, &LoadError{Err: fmt.Errorf("%w: correlation %q is part of a reference cycle or failed to load", ErrCorrelation, d.meta.Title)}
			}
			return c, nil
		}
		corrByDoc[d] = nil
		if depth > 32 {
			return nil, &LoadError{Err: fmt.Errorf("%w: correlations nest too deep", ErrCorrelation)}
		}
		c, err := rs.compileCorrelation(d, func(ref string) (*Rule, *LoadError) {
			t, ok := byRef[ref]
			if !ok {
				return nil, &LoadError{Err: fmt.Errorf("%w: %q names no loaded rule id or name", ErrReference, ref)}
			}
			switch t.kind {
			case KindDetection:
				cr, ok := compiled[t]
				if !ok {
					return nil, &LoadError{Err: fmt.Errorf("%w: %q (%s) did not load", ErrReference, ref, t.path)}
				}
				return cr.rule, nil
			case KindCorrelation:
				sub, err := build(t, depth+1)
				if err != nil {
					return nil, &LoadError{Err: fmt.Errorf("%w: %q: %v", ErrReference, ref, err.Err)}
				}
				return sub.rule, nil
			}
			return nil, &LoadError{Err: fmt.Errorf("%w: %q is a filter", ErrReference, ref)}
		})
		if err != nil {
			return nil, err
		}
		corrByDoc[d] = c
		if !selected[d] {
			c.rule.Generate = false
		}
		rs.corrs = append(rs.corrs, c)
		rep.Correlation++
		rep.Rules = append(rep.Rules, c.rule)
		return c, nil
	}
	for _, d := range docs {
		if d.kind != KindCorrelation || !selected[d] && !needed[d] {
			continue
		}
		if _, done := corrByDoc[d]; done {
			continue
		}
		if _, err := build(d, 0); err != nil {
			l.failDoc(d, err)
		}
	}
	// generate: a base rule's own hits are printed only if it was selected
	// and no correlation using it says generate: false (the default).
	rs.applyGenerate()

	// Filters.
	for _, d := range docs {
		if d.kind != KindFilter {
			continue
		}
		if err := rs.attachFilter(d, byRef, compiled, &l.opts, rep, conds); err != nil {
			l.failDoc(d, err)
			continue
		}
		rep.Filter++
		fr := d.toRule()
		fr.detection = d.detection
		rep.Rules = append(rep.Rules, fr)
	}

	// Routing.
	for _, cr := range rs.rules {
		routes, kind, why := rt.resolve(cr.rule.Logsource)
		switch kind {
		case unroutedSrc:
			rep.Unrouted = append(rep.Unrouted, Note{Path: cr.rule.Path, RuleID: cr.rule.ID, Title: cr.rule.Title, Text: why})
		case anyChannel:
			rs.windows = appendToGroup(rs.windows, nil, nil, cr)
		case routed:
			for _, r := range routes {
				key := bucketKey{r.channel, r.eventID}
				var m *compiledMapping
				if r.mapping != "" {
					m = rs.mapping(r.mapping, rt.Mappings[r.mapping])
				}
				rs.buckets[key] = appendToGroup(rs.buckets[key], m, whereConds(r.where), cr)
			}
		}
		rs.noChan = appendToGroup(rs.noChan, nil, nil, cr)
	}
	rep.Warnings = append(rep.Warnings, rs.fieldNotes(rt)...)
	rs.finish()
	return rs, rep
}

// appendToGroup adds cr to the group with the same mapping and conditions,
// creating it if needed.
func appendToGroup(gs []*group, m *compiledMapping, where []whereCond, cr *compiledRule) []*group {
	for _, g := range gs {
		if g.mapping == m && sameWhere(g.where, where) {
			g.rules = append(g.rules, cr)
			return gs
		}
	}
	return append(gs, &group{mapping: m, where: where, rules: []*compiledRule{cr}})
}

func sameWhere(a, b []whereCond) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].field != b[i].field || strings.Join(a[i].values, "\x00") != strings.Join(b[i].values, "\x00") {
			return false
		}
	}
	return true
}

func whereConds(w map[string][]string) []whereCond {
	var out []whereCond
	for _, k := range sortedKeys(w) {
		vals := make([]string, len(w[k]))
		for i, v := range w[k] {
			vals[i] = strings.ToLower(v)
		}
		out = append(out, whereCond{field: k, values: vals})
	}
	return out
}

// mapping returns the compiled mapping of that name, made once per
// Ruleset. Only fields some rule uses are mapped.
func (rs *Ruleset) mapping(name string, spec map[string]*mappedField) *compiledMapping {
	if m, ok := rs.maps[name]; ok {
		return m
	}
	m := &compiledMapping{name: name}
	if rs.maps == nil {
		rs.maps = map[string]*compiledMapping{}
	}
	rs.maps[name] = m
	for _, f := range sortedKeys(spec) {
		if id, ok := rs.fields.ids[f]; ok {
			m.fields = append(m.fields, mappedTarget{id: id, src: spec[f].From, m: spec[f]})
		}
	}
	return m
}

// finish builds the lookup indexes once all rules are compiled.
func (rs *Ruleset) finish() {
	rs.foldIdx = map[string][]int{}
	for id, n := range rs.fields.names {
		k := strings.ToLower(n)
		rs.foldIdx[k] = append(rs.foldIdx[k], id)
	}
	for _, cr := range rs.rules {
		rs.maxSrch = max(rs.maxSrch, len(cr.det.searches))
		for _, f := range cr.filters {
			rs.maxSrch = max(rs.maxSrch, len(f.searches))
		}
	}
	rs.buildPlans()
}

// ruleResult is one detection document compiled on its own: its field
// ids index fields, which lists the names in the order the rule met them
// (on an error too: the Ruleset interns them all the same).
type ruleResult struct {
	cr     *compiledRule
	warns  []string
	err    *LoadError
	fields *fieldTable
}

// compileRules compiles detection documents on opts.Threads goroutines,
// each with a field table of its own; results[i] is docs[i]'s.
func compileRules(docs []*rawDoc, opts *LoadOptions) []ruleResult {
	results := make([]ruleResult, len(docs))
	one := func(i int, conds conditionCache) {
		ft := newFieldTable()
		cr, warns, err := compileRule(docs[i], ft, opts, conds)
		results[i] = ruleResult{cr: cr, warns: warns, err: err, fields: ft}
	}
	parallel(len(docs), opts.Threads, func() func(i int) {
		conds := conditionCache{} // per worker: a cache is not shared
		return func(i int) { one(i, conds) }
	})
	return results
}

// parallel calls the function newWorker returns for each of 0..n-1, on
// threads goroutines (<= 0: GOMAXPROCS), each with a worker of its own;
// it returns once all calls have. Items are handed out in order, in small
// batches.
func parallel(n, threads int, newWorker func() func(i int)) {
	threads = min(pool.Threads(threads), n)
	if threads <= 1 {
		w := newWorker()
		for i := range n {
			w(i)
		}
		return
	}
	const batch = 16
	// Workers never fail and the context is never cancelled.
	_ = pool.Run(context.Background(), threads, func(_ context.Context, send func(int) error) error {
		for i := 0; i < n; i += batch {
			if err := send(i); err != nil {
				return err
			}
		}
		return nil
	}, func() pool.Worker[int] {
		w := newWorker()
		return pool.Worker[int]{Do: func(_ context.Context, start int) error {
			for i := start; i < min(start+batch, n); i++ {
				w(i)
			}
			return nil
		}}
	})
}

// compileRule compiles one detection document with the field ids of ft.
func compileRule(d *rawDoc, ft *fieldTable, opts *LoadOptions, conds conditionCache) (*compiledRule, []string, *LoadError) {
	tree, det, warns, err := compileTree(d.path, lookup(d.node, "detection"), "", ft, opts, conds)
	if err != nil {
		return nil, nil, err
	}
	r := d.toRule()
	r.detection = tree
	return &compiledRule{rule: r, det: det}, warns, nil
}

// remapFields renumbers the field ids of d's matchers: id i becomes m[i].
func (d *detection) remapFields(m []int) {
	for _, s := range d.searches {
		for _, alt := range s.alts {
			for _, fm := range alt {
				if fm.field >= 0 {
					fm.field = m[fm.field]
				}
				for i := range fm.pats {
					if p := &fm.pats[i]; p.kind == vmFieldRef {
						p.ref = m[p.ref]
					}
				}
			}
		}
	}
}

// compileTree reads a detection mapping into its tree (parseDetection) and
// compiles the tree: the one path from YAML to matcher. Of several errors
// in a rule it returns the first in the file, the compiler's or the
// parser's. Field names get their ids from ft. conds may be nil.
func compileTree(path string, n *yaml.Node, skip string, ft *fieldTable, opts *LoadOptions, conds conditionCache) (*Detection, *detection, []string, *LoadError) {
	tree, failedField, perr := parseDetection(path, n, skip, conds)
	cc := &compileCtx{path: path, fields: ft, opts: opts}
	var searches []*search
	if tree != nil {
		var err error
		if searches, err = cc.compileSearches(tree); err != nil {
			return nil, nil, nil, asLoadError(err)
		}
	}
	if perr != nil {
		if failedField != "" {
			ft.id(failedField)
		}
		return nil, nil, nil, asLoadError(perr)
	}
	det, err := cc.compileDetection(tree, searches)
	if err != nil {
		return nil, nil, nil, asLoadError(err)
	}
	return tree, det, cc.warnings, nil
}

func asLoadError(err error) *LoadError {
	if le, ok := err.(*LoadError); ok {
		return le
	}
	return &LoadError{Err: err}
}

// attachFilter compiles a Sigma filter rule and adds it to every rule it
// names. A filter naming a rule that is not loaded is not an error (the
// user may not have loaded it); it is noted.
func (rs *Ruleset) attachFilter(d *rawDoc, byRef map[string]*rawDoc, compiled map[*rawDoc]*compiledRule, opts *LoadOptions, rep *Report, conds conditionCache) *LoadError {
	f := lookup(d.node, "filter")
	if f.Kind != yaml.MappingNode {
		return errAt(d.path, f, ErrFilter, "filter must be a mapping")
	}
	refs := lookup(f, "rules")
	if refs == nil {
		return errAt(d.path, f, ErrFilter, "filter has no rules list")
	}
	names, err := values(d.path, refs)
	if err != nil {
		return asLoadError(err)
	}
	tree, det, _, lerr := compileTree(d.path, f, "rules", rs.fields, opts, conds)
	if lerr != nil {
		return lerr
	}
	d.detection = tree
	for _, n := range names {
		t, ok := byRef[n.Raw]
		cr := compiled[t]
		if !ok || cr == nil {
			rep.Warnings = append(rep.Warnings, Note{Path: d.path, RuleID: d.meta.ID, Title: d.meta.Title, Text: fmt.Sprintf("filter names rule %q, which is not loaded", n.Raw)})
			continue
		}
		if !logsourceCompatible(d.meta.Logsource, cr.rule.Logsource) {
			rep.Warnings = append(rep.Warnings, Note{Path: d.path, RuleID: d.meta.ID, Title: d.meta.Title, Text: fmt.Sprintf("filter logsource %s differs from rule %q's %s; applied anyway", d.meta.Logsource, n.Raw, cr.rule.Logsource)})
		}
		cr.filters = append(cr.filters, det)
	}
	return nil
}

// logsourceCompatible reports whether a filter's logsource fits a rule's:
// every field the filter sets equals the rule's.
func logsourceCompatible(f, r Logsource) bool {
	eq := func(a, b string) bool { return a == "" || strings.EqualFold(a, b) }
	return eq(f.Product, r.Product) && eq(f.Category, r.Category) && eq(f.Service, r.Service)
}
