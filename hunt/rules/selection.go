package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers/winevent"
)

// BundledPrefix marks the paths of embedded rules in reports.
const BundledPrefix = "bundled:"

// ErrUnknownLevel is wrapped by the error of a selection whose MinLevel is
// not a level.
var ErrUnknownLevel = errors.New("unknown level")

// Selection narrows the rules that run, for Sigma and KQL alike, and the
// hits that are output. The zero value keeps every rule (except those of
// status unsupported) and every hit.
//
// The rule options (IDs, ExcludeIDs, MinLevel, Levels, Status, Tags)
// decide which rules load: a rule left out costs nothing. The event
// options (Channels, EventIDs, Computers) filter hits by the event that
// fired (KeepHit): every rule still sees every event, so correlations and
// KQL aggregations count as without them, and only the hits shown change.
type Selection struct {
	MinLevel   string   // informational, low, medium, high, critical; "" = all
	Levels     []string // keep rules whose level is one of these; empty = all
	Status     []string // keep rules with one of these statuses; empty = all
	Tags       []string // keep rules with one of these tags; empty = all
	ExcludeIDs []string // leave these rule ids (or Sigma names, or detection ids) out
	// IDs keeps only the rules with these ids (or Sigma names, or
	// detection ids: a Sigma rule's id selects its KQL twins too). Naming
	// a rule of status unsupported by its own id or name runs it.
	IDs []string
	// KeepUnsupported keeps the rules of status unsupported too ("loghunt
	// rules check" shows why they cannot fire).
	KeepUnsupported bool

	Channels  []string // keep hits on events of these channels (or Sigma services: sysmon, security...)
	EventIDs  []uint32 // keep hits on events with these event IDs
	Computers []string // keep hits on these computers (case-insensitive; * wildcards; a short name matches its FQDN)
}

// Meta is what a selection looks at in a rule.
type Meta struct {
	ID, Name string // Name is a Sigma rule's name; KQL rules have none
	// Detection is the id of the detection the rule is a form of, when
	// it differs from ID (a KQL twin of a Sigma rule).
	Detection string
	Level     string // "" counts as informational
	Status    string
	Tags      []string
	// NoStatus says the rule kind has no status (KQL): --status keeps it.
	NoStatus bool
}

// names reports whether ref names the rule: its id, name or detection id.
func (m Meta) names(ref string) bool {
	return ref != "" && (strings.EqualFold(ref, m.ID) || strings.EqualFold(ref, m.Name) || strings.EqualFold(ref, m.Detection))
}

// StatusUnsupported is the Sigma status of a rule that cannot be used as
// it is: such rules load only when named (IDs) or asked for (Status).
const StatusUnsupported = "unsupported"

// The option names Why returns, as the summary and "rules check" count them.
const (
	OptExclude  = "exclude"
	OptMinLevel = "min-level"
	OptStatus   = "status"
	OptTags     = "tags"
	OptLevel    = "level"
	OptRule     = "rule"
	// OptUnsupported leaves out a rule of status unsupported that the
	// selection does not name.
	OptUnsupported = "unsupported"
)

var levels = []string{"informational", "low", "medium", "high", "critical"}

// ValidLevel reports whether s names a Sigma level.
func ValidLevel(s string) bool {
	return slices.ContainsFunc(levels, func(l string) bool { return strings.EqualFold(s, l) })
}

// levelRank ranks a level; unknown levels and "" rank as informational.
func levelRank(s string) int {
	return max(slices.IndexFunc(levels, func(l string) bool { return strings.EqualFold(s, l) }), 0)
}

// Validate checks the selection once, before it is applied.
func (s Selection) Validate() error {
	for _, l := range append([]string{s.MinLevel}, s.Levels...) {
		if l != "" && !ValidLevel(l) {
			return fmt.Errorf("%w %q (want informational, low, medium, high or critical)", ErrUnknownLevel, l)
		}
	}
	return nil
}

// Why returns "" to keep a rule, or the reason it is left out ("level low
// below min-level medium") and the option that left it out (OptExclude,
// OptMinLevel, OptStatus or OptTags). The options are checked in that
// order; the first that drops the rule is its reason. Then a rule of
// status unsupported is left out (OptUnsupported) unless IDs names it by
// its own id or name, or Status lists unsupported.
func (s Selection) Why(m Meta) (reason, option string) {
	for _, x := range s.ExcludeIDs {
		if m.names(x) {
			return "excluded by id", OptExclude
		}
	}
	if len(s.IDs) > 0 && !slices.ContainsFunc(s.IDs, m.names) {
		return "not named by --rule", OptRule
	}
	if len(s.Levels) > 0 && !slices.ContainsFunc(s.Levels, func(l string) bool { return strings.EqualFold(l, m.Level) }) {
		lv := strings.ToLower(m.Level)
		if lv == "" {
			lv = "(none)"
		}
		return fmt.Sprintf("level %s not in %s", lv, strings.ToLower(strings.Join(s.Levels, ","))), OptLevel
	}
	if s.MinLevel != "" && levelRank(m.Level) < levelRank(s.MinLevel) {
		lv := strings.ToLower(m.Level)
		if lv == "" {
			lv = "(none)"
		}
		return fmt.Sprintf("level %s below min-level %s", lv, strings.ToLower(s.MinLevel)), OptMinLevel
	}
	if len(s.Status) > 0 && !m.NoStatus && !slices.ContainsFunc(s.Status, func(x string) bool { return strings.EqualFold(x, m.Status) }) {
		st := m.Status
		if st == "" {
			st = "(none)"
		}
		return fmt.Sprintf("status %s not in %s", st, strings.Join(s.Status, ",")), OptStatus
	}
	if len(s.Tags) > 0 && !slices.ContainsFunc(m.Tags, func(t string) bool {
		return slices.ContainsFunc(s.Tags, func(want string) bool { return strings.EqualFold(t, want) })
	}) {
		return "no tag in " + strings.Join(s.Tags, ","), OptTags
	}
	if !s.KeepUnsupported && strings.EqualFold(m.Status, StatusUnsupported) && !slices.ContainsFunc(s.Status, func(x string) bool { return strings.EqualFold(x, StatusUnsupported) }) &&
		!slices.ContainsFunc(s.IDs, func(x string) bool { return strings.EqualFold(x, m.ID) || x != "" && strings.EqualFold(x, m.Name) }) {
		return "status unsupported: it cannot fire as written; run it with --rule " + m.ID, OptUnsupported
	}
	return "", ""
}

// Unnamed returns the references of IDs and ExcludeIDs that name none of
// the rules (known reports whether a reference names a rule found in the
// rule paths, loaded or not), each with its option: an id mistyped in
// --rule or --exclude-rule would otherwise select nothing, or exclude
// nothing, in silence.
func (s Selection) Unnamed(known func(ref string) bool) []UnnamedRef {
	var out []UnnamedRef
	for _, l := range []struct {
		opt  string
		refs []string
	}{{"--rule", s.IDs}, {"--exclude-rule", s.ExcludeIDs}} {
		for _, r := range l.refs {
			if r != "" && !known(r) {
				out = append(out, UnnamedRef{Option: l.opt, Ref: r})
			}
		}
	}
	return out
}

// UnnamedRef is a rule reference of a selection option that names no
// rule.
type UnnamedRef struct {
	Option, Ref string
}

// ErrUnknownRule is wrapped by the error of a --rule or --exclude-rule
// that names no rule.
var ErrUnknownRule = errors.New("no rule has this id or name")

// Names reports whether ref names the rule m describes (id, name or
// detection id, case-insensitively).
func (m Meta) Names(ref string) bool { return m.names(ref) }

// HasHitFilter reports whether the event options filter hits.
func (s Selection) HasHitFilter() bool {
	return len(s.Channels) > 0 || len(s.EventIDs) > 0 || len(s.Computers) > 0
}

// KeepHit reports whether a hit passes the event options: its event's
// channel, event ID and computer are among those given (each option
// given must hold). A correlation hit, which has no event of its own,
// passes when one of its events does. A hit whose event lacks the
// information (a KQL row built anew has no channel) does not pass an
// option that needs it.
func (s Selection) KeepHit(h *hunt.Hit) bool {
	if !s.HasHitFilter() {
		return true
	}
	if h.Event == nil {
		for _, ev := range h.Related {
			if s.keepEvent(ev.Channel, ev.EventID, ev.Computer) {
				return true
			}
		}
		return false
	}
	return s.keepEvent(h.Event.Channel, h.Event.EventID, h.Event.Computer)
}

func (s Selection) keepEvent(channel string, eventID uint32, computer string) bool {
	if len(s.Channels) > 0 && !slices.ContainsFunc(s.Channels, func(c string) bool { return channelIs(channel, c) }) {
		return false
	}
	if len(s.EventIDs) > 0 && !slices.Contains(s.EventIDs, eventID) {
		return false
	}
	if len(s.Computers) > 0 && !slices.ContainsFunc(s.Computers, func(c string) bool { return computerIs(computer, c) }) {
		return false
	}
	return true
}

// channelIs reports whether an event's channel is the channel (or one of
// the channels of the Sigma service) want names.
func channelIs(channel, want string) bool {
	if channel == "" {
		return false
	}
	if strings.EqualFold(channel, want) {
		return true
	}
	return slices.ContainsFunc(winevent.ChannelsOfService(strings.ToLower(want)), func(c string) bool { return strings.EqualFold(c, channel) })
}

// computerIs reports whether an event's computer is want: equal ignoring
// case, the short name of an FQDN, or a match of want's * wildcards.
func computerIs(computer, want string) bool {
	if computer == "" {
		return false
	}
	c, w := strings.ToLower(computer), strings.ToLower(want)
	if c == w || strings.HasPrefix(c, w+".") {
		return true
	}
	return strings.Contains(w, "*") && globMatch(w, c)
}

// globMatch matches s against a pattern whose only wildcard is *.
func globMatch(pat, s string) bool {
	parts := strings.Split(pat, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}

// KQLMeta is what a selection looks at in a KQL rule: its id, level (from
// the Sentinel severity) and tags; it has no name or status.
func KQLMeta(r *hunt.Rule) Meta {
	return Meta{ID: r.ID, Detection: r.Detection, Level: r.Level, Tags: r.Tags, NoStatus: true}
}

// Meta is what a selection looks at in d: KQLMeta of its rule, with the
// status when the file gives one (a Sentinel file has none, and --status
// keeps it).
func (d *KQL) Meta() Meta {
	m := KQLMeta(d.Rule())
	if d.Status != "" {
		m.Status, m.NoStatus = strings.ToLower(d.Status), false
	}
	return m
}
