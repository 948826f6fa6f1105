// Package attack reads MITRE ATT&CK from rule tags and tallies hits by
// tactic and technique: the ATT&CK view of the HTML report and the ATT&CK
// Navigator layer (--navigator) both read a Tally.
//
// Rules name ATT&CK in their tags as Sigma's tag convention says:
// "attack.t1059.001" is a technique or sub-technique, "attack.execution" a
// tactic by its short name (SigmaHQ writes "credential-access"; older rules
// "credential_access", which is read the same). Group ("attack.g0007") and
// software ("attack.s0002") tags are not tactics or techniques and are
// ignored. Nothing here knows the ATT&CK catalogue beyond the literal
// table of tactic names, Tactics: a technique is known by its ID only.
//
// Use Tally.Add for each hit's rule, then Tactics, Techniques and Untagged
// to read it; WriteLayer writes the Navigator layer from it. A Tally is not
// safe for concurrent use.
package attack

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/loghunt/loghunt/hunt"
)

// Tactic is one ATT&CK tactic.
type Tactic struct {
	ID        string // e.g. TA0002
	ShortName string // the tag's and the Navigator's name, e.g. execution
	Name      string // e.g. Execution
}

// Tactics are the Enterprise tactics, in the matrix's order. ATT&CK v19
// split Defense Evasion (TA0005) into Stealth (TA0005) and Defense
// Impairment (TA0112); rules use both spellings, so all three are here,
// Defense Evasion where it stood.
var Tactics = []Tactic{
	{"TA0043", "reconnaissance", "Reconnaissance"},
	{"TA0042", "resource-development", "Resource Development"},
	{"TA0001", "initial-access", "Initial Access"},
	{"TA0002", "execution", "Execution"},
	{"TA0003", "persistence", "Persistence"},
	{"TA0004", "privilege-escalation", "Privilege Escalation"},
	{"TA0005", "defense-evasion", "Defense Evasion"},
	{"TA0005", "stealth", "Stealth"},
	{"TA0112", "defense-impairment", "Defense Impairment"},
	{"TA0006", "credential-access", "Credential Access"},
	{"TA0007", "discovery", "Discovery"},
	{"TA0008", "lateral-movement", "Lateral Movement"},
	{"TA0009", "collection", "Collection"},
	{"TA0011", "command-and-control", "Command and Control"},
	{"TA0010", "exfiltration", "Exfiltration"},
	{"TA0040", "impact", "Impact"},
}

// tacticIndex maps a short name to its index in Tactics.
var tacticIndex = func() map[string]int {
	m := make(map[string]int, len(Tactics))
	for i, t := range Tactics {
		m[t.ShortName] = i
	}
	return m
}()

var techniqueTag = regexp.MustCompile(`^t\d{4}(\.\d{3})?$`)

// ParseTags returns the tactics (indexes in Tactics, in table order) and
// the techniques (upper case IDs such as T1059.001, sorted) a rule's tags
// name, each once. Case is ignored.
func ParseTags(tags []string) (tactics []int, techniques []string) {
	for _, tag := range tags {
		t := strings.ToLower(strings.TrimSpace(tag))
		name, ok := strings.CutPrefix(t, "attack.")
		if !ok {
			continue
		}
		if techniqueTag.MatchString(name) {
			id := strings.ToUpper(name)
			if !slices.Contains(techniques, id) {
				techniques = append(techniques, id)
			}
			continue
		}
		if i, ok := tacticIndex[strings.ReplaceAll(name, "_", "-")]; ok && !slices.Contains(tactics, i) {
			tactics = append(tactics, i)
		}
	}
	slices.Sort(tactics)
	slices.Sort(techniques)
	return tactics, techniques
}

// ruleTally is one rule's hits and ATT&CK tags.
type ruleTally struct {
	title, id  string
	hits       int
	tactics    []int
	techniques []string
}

// Tally counts hits per rule, which it reads as tactics and techniques.
// Its memory is one entry per rule with hits, not per hit.
type Tally struct {
	rules map[string]*ruleTally // by rule id, engine and title
	hits  int
}

// Add counts one hit of rule r.
func (t *Tally) Add(r *hunt.Rule) {
	if t.rules == nil {
		t.rules = map[string]*ruleTally{}
	}
	t.hits++
	k := r.ID + "\x00" + r.Engine + "\x00" + r.Title
	rt := t.rules[k]
	if rt == nil {
		rt = &ruleTally{title: r.Title, id: r.ID}
		rt.tactics, rt.techniques = ParseTags(r.Tags)
		t.rules[k] = rt
	}
	rt.hits++
}

// Hits is the number of hits added.
func (t *Tally) Hits() int { return t.hits }

// Count is a name (tactic or technique) with its hits and the rules that
// gave them.
type Count struct {
	Tactic     Tactic // for TacticCounts
	Technique  string // for technique counts: T1059.001
	Hits       int
	Rules      []string // titles of the rules with hits: a tactic's by hits, most first; a technique's by title
	Techniques []Count  // for TacticCounts: the techniques of the tactic's rules, most hits first
}

// TacticCounts lists the tactics with hits in the matrix's order. A hit
// counts once for each tactic its rule is tagged with; under each tactic,
// the techniques its rules are tagged with. The last entry, when there are
// such hits, has a zero Tactic: the rules tagged with techniques but no
// tactic.
func (t *Tally) TacticCounts() []Count {
	var out []Count
	for i, tac := range Tactics {
		c := t.count(func(r *ruleTally) bool { return slices.Contains(r.tactics, i) })
		if c.Hits > 0 {
			c.Tactic = tac
			out = append(out, c)
		}
	}
	c := t.count(func(r *ruleTally) bool { return len(r.tactics) == 0 && len(r.techniques) > 0 })
	if c.Hits > 0 {
		out = append(out, c)
	}
	return out
}

// count sums the rules that keep says, with their techniques.
func (t *Tally) count(keep func(*ruleTally) bool) Count {
	var c Count
	var rules []*ruleTally
	tech := map[string]*Count{}
	for _, r := range t.rules {
		if !keep(r) {
			continue
		}
		c.Hits += r.hits
		rules = append(rules, r)
		for _, id := range r.techniques {
			tc := tech[id]
			if tc == nil {
				tc = &Count{Technique: id}
				tech[id] = tc
			}
			tc.Hits += r.hits
			tc.Rules = append(tc.Rules, r.title)
		}
	}
	sortRules(rules)
	for _, r := range rules {
		c.Rules = append(c.Rules, r.title)
	}
	for _, tc := range tech {
		c.Techniques = append(c.Techniques, *tc)
	}
	sortCounts(c.Techniques)
	return c
}

// Techniques lists every technique with hits: the hits of the rules
// tagged with it, most first, then by ID.
func (t *Tally) Techniques() []Count {
	return t.count(func(*ruleTally) bool { return true }).Techniques
}

// Untagged is the number of hits of rules with no ATT&CK tactic or
// technique tag.
func (t *Tally) Untagged() int {
	n := 0
	for _, r := range t.rules {
		if len(r.tactics) == 0 && len(r.techniques) == 0 {
			n += r.hits
		}
	}
	return n
}

// sortRules orders rules by hits, most first, then title and id.
func sortRules(rs []*ruleTally) {
	slices.SortFunc(rs, func(a, b *ruleTally) int {
		return cmp.Or(cmp.Compare(b.hits, a.hits), strings.Compare(a.title, b.title), strings.Compare(a.id, b.id))
	})
}

func sortCounts(cs []Count) {
	slices.SortFunc(cs, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Hits, a.Hits), strings.Compare(a.Technique, b.Technique))
	})
	for i := range cs {
		slices.Sort(cs[i].Rules)
		cs[i].Rules = slices.Compact(cs[i].Rules)
	}
}
