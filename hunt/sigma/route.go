package sigma

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
	"gopkg.in/yaml.v3"
)

//go:embed logsources.yml
var logsourcesYAML []byte

// routeSpec is one channel/event-ID combination a logsource can match.
// Channels are filled from Service by loadRouting.
type routeSpec struct {
	Service  string              `yaml:"service"`
	EventIDs []uint32            `yaml:"event_ids"`
	Where    map[string][]string `yaml:"where"`
	Mapping  string              `yaml:"mapping"`
	// AnyProduct routes rules that name the category but no product
	// here too: SigmaHQ's antivirus rules name none, since the product is
	// whichever antivirus wrote the event.
	AnyProduct bool     `yaml:"any_product"`
	Channels   []string `yaml:"-"`
}

// maxMappedSources bounds the source fields of one mapped field (4688's
// User reads both accounts: 8).
const maxMappedSources = 8

// mappedField computes one rule field from other event fields: a field
// of a winevent.Mapping.
type mappedField struct {
	From []string
	f    *winevent.FieldMap
}

// routingTable is the decoded logsources.yml, with the services' channels
// and the field mappings from parsers/winevent.
type routingTable struct {
	Categories map[string][]routeSpec             `yaml:"categories"`
	Services   map[string][]string                `yaml:"-"`
	Mappings   map[string]map[string]*mappedField `yaml:"-"`
}

// loadRouting decodes and validates the embedded routing table. It is
// called once per Loader; the data is ours, so an error is a build bug,
// returned rather than panicking.
func loadRouting() (*routingTable, error) {
	var t routingTable
	if err := yaml.Unmarshal(logsourcesYAML, &t); err != nil {
		return nil, fmt.Errorf("logsources.yml: %w", err)
	}
	t.Services = map[string][]string{}
	for _, c := range winevent.Channels {
		for _, s := range c.Services {
			t.Services[s] = append(t.Services[s], c.Name)
		}
	}
	t.Mappings = map[string]map[string]*mappedField{}
	for _, m := range winevent.Mappings {
		fields := map[string]*mappedField{}
		for i := range m.Fields {
			f := &m.Fields[i]
			if len(f.From) == 0 || len(f.From) > maxMappedSources {
				return nil, fmt.Errorf("winevent mapping %s.%s: %d source fields, want 1 to %d", m.Name, f.Field, len(f.From), maxMappedSources)
			}
			fields[f.Field] = &mappedField{From: f.From, f: f}
		}
		t.Mappings[m.Name] = fields
	}
	for cat, specs := range t.Categories {
		for i := range specs {
			s := &specs[i]
			s.Channels = t.Services[s.Service]
			if len(s.Channels) == 0 {
				return nil, fmt.Errorf("logsources.yml: category %s names unknown service %q", cat, s.Service)
			}
			if s.Mapping != "" && t.Mappings[s.Mapping] == nil {
				return nil, fmt.Errorf("logsources.yml: category %s names unknown mapping %q", cat, s.Mapping)
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
	if product == "" && cat != "" && svc == "" {
		// A category that is no product's own (antivirus): the routes
		// that take rules naming no product.
		var open []routeSpec
		for _, s := range t.Categories[cat] {
			if s.AnyProduct {
				open = append(open, s)
			}
		}
		if len(open) > 0 {
			return expand(open), routed, ""
		}
	}
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

// convert computes a mapped value from the source values (one per From
// name, "" when absent). ok is false when the value cannot be computed.
func (m *mappedField) convert(src []string) (string, bool) { return m.f.Apply(src) }
