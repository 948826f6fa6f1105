package sigma

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed logsources.yml
var logsourcesYAML []byte

// routeSpec is one channel/event-ID combination a logsource can match.
type routeSpec struct {
	Channels []string            `yaml:"channels"`
	EventIDs []uint32            `yaml:"event_ids"`
	Where    map[string][]string `yaml:"where"`
	Mapping  string              `yaml:"mapping"`
}

// mappedField computes one rule field from other event fields.
type mappedField struct {
	From    []string `yaml:"from"`
	Convert string   `yaml:"convert"`
	Sep     string   `yaml:"sep"`
}

// routingTable is the decoded logsources.yml.
type routingTable struct {
	Categories map[string][]routeSpec             `yaml:"categories"`
	Services   map[string][]string                `yaml:"services"`
	Mappings   map[string]map[string]*mappedField `yaml:"mappings"`
}

// loadRouting decodes and validates the embedded routing table. It is
// called once per Loader; the data is ours, so an error is a build bug,
// returned rather than panicking.
func loadRouting() (*routingTable, error) {
	var t routingTable
	if err := yaml.Unmarshal(logsourcesYAML, &t); err != nil {
		return nil, fmt.Errorf("logsources.yml: %w", err)
	}
	for cat, specs := range t.Categories {
		for _, s := range specs {
			if s.Mapping != "" && t.Mappings[s.Mapping] == nil {
				return nil, fmt.Errorf("logsources.yml: category %s names unknown mapping %q", cat, s.Mapping)
			}
		}
	}
	for name, m := range t.Mappings {
		for f, mf := range m {
			switch mf.Convert {
			case "", "hex", "integrity_sid", "join":
			default:
				return nil, fmt.Errorf("logsources.yml: mapping %s.%s: unknown convert %q", name, f, mf.Convert)
			}
			if len(mf.From) == 0 {
				return nil, fmt.Errorf("logsources.yml: mapping %s.%s: no source field", name, f)
			}
		}
	}
	return &t, nil
}

// route is a resolved destination for a rule: events of one channel
// (lower-case) and event ID (anyEventID for all).
type route struct {
	channel string
	eventID int64
	where   map[string][]string
	mapping string
}

const anyEventID = -1

// routeKind says how a rule's logsource was resolved.
type routeKind uint8

const (
	routed      routeKind = iota // to specific channels
	anyChannel                   // product windows only: every Windows channel
	unroutedSrc                  // a logsource we have no channel for
)

// resolve maps a logsource to routes. For unrouted logsources it returns a
// reason saying why.
func (t *routingTable) resolve(ls Logsource) ([]route, routeKind, string) {
	product := strings.ToLower(ls.Product)
	cat := strings.ToLower(ls.Category)
	svc := strings.ToLower(ls.Service)
	if product != "windows" {
		if product == "" && cat == "" && svc == "" {
			return nil, unroutedSrc, "the logsource is empty"
		}
		return nil, unroutedSrc, fmt.Sprintf("no Windows channel for logsource %s", ls)
	}
	var out []route
	switch {
	case cat != "" && svc != "":
		// Both given: the category's routes restricted to the service's
		// channels.
		specs, ok := t.Categories[cat]
		chans, ok2 := t.Services[svc]
		if !ok || !ok2 {
			return nil, unroutedSrc, fmt.Sprintf("no channel for logsource %s", ls)
		}
		allowed := map[string]bool{}
		for _, c := range chans {
			allowed[strings.ToLower(c)] = true
		}
		for _, r := range expand(specs) {
			if allowed[r.channel] {
				out = append(out, r)
			}
		}
	case cat != "":
		specs, ok := t.Categories[cat]
		if !ok {
			return nil, unroutedSrc, fmt.Sprintf("no channel known for category %q", ls.Category)
		}
		out = expand(specs)
	case svc != "":
		chans, ok := t.Services[svc]
		if !ok {
			return nil, unroutedSrc, fmt.Sprintf("no channel known for service %q", ls.Service)
		}
		for _, c := range chans {
			out = append(out, route{channel: strings.ToLower(c), eventID: anyEventID})
		}
	default:
		return nil, anyChannel, ""
	}
	if len(out) == 0 {
		return nil, unroutedSrc, fmt.Sprintf("no channel for logsource %s", ls)
	}
	return out, routed, ""
}

func expand(specs []routeSpec) []route {
	var out []route
	for _, s := range specs {
		for _, c := range s.Channels {
			if len(s.EventIDs) == 0 {
				out = append(out, route{channel: strings.ToLower(c), eventID: anyEventID, where: s.Where, mapping: s.Mapping})
			}
			for _, id := range s.EventIDs {
				out = append(out, route{channel: strings.ToLower(c), eventID: int64(id), where: s.Where, mapping: s.Mapping})
			}
		}
	}
	return out
}

// integrityLevels names the mandatory label SIDs as Sysmon's
// IntegrityLevel field does.
var integrityLevels = map[string]string{
	"S-1-16-0":     "Untrusted",
	"S-1-16-4096":  "Low",
	"S-1-16-8192":  "Medium",
	"S-1-16-8448":  "Medium Plus",
	"S-1-16-12288": "High",
	"S-1-16-16384": "System",
	"S-1-16-20480": "Protected Process",
	"S-1-16-28672": "Secure Process",
}

// convert computes a mapped value from the source values (one per From
// name, "" when absent). ok is false when the value cannot be computed.
func (m *mappedField) convert(src []string) (string, bool) {
	switch m.Convert {
	case "hex":
		s := strings.TrimSpace(src[0])
		if s == "" {
			return "", false
		}
		if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
			return s, true // already decimal: keep as is
		}
		v, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return s, true // not a number: keep as written
		}
		return strconv.FormatUint(v, 10), true
	case "integrity_sid":
		s := strings.ToUpper(strings.TrimSpace(src[0]))
		if name, ok := integrityLevels[s]; ok {
			return name, true
		}
		return src[0], src[0] != ""
	case "join":
		var parts []string
		for _, s := range src {
			if s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, m.Sep), len(parts) > 0
	}
	return src[0], true
}
