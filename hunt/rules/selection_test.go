package rules

import (
	"errors"
	"testing"

	"github.com/loghunt/loghunt/hunt"
	"github.com/loghunt/loghunt/parsers"
)

func TestSelectionWhy(t *testing.T) {
	sigma := func(id, level, status string, tags ...string) Meta {
		return Meta{ID: id, Name: "n-" + id, Level: level, Status: status, Tags: tags}
	}
	kql := KQLMeta(&hunt.Rule{ID: "x", Level: "medium", Tags: []string{"attack.t1102"}})
	tests := []struct {
		name   string
		sel    Selection
		m      Meta
		reason string
		option string
	}{
		{"zero keeps", Selection{}, sigma("a", "", ""), "", ""},
		{"min-level drops", Selection{MinLevel: "High"}, sigma("a", "low", "stable"), "level low below min-level high", OptMinLevel},
		{"min-level keeps equal", Selection{MinLevel: "high"}, sigma("a", "HIGH", "stable"), "", ""},
		{"no level is informational", Selection{MinLevel: "low"}, sigma("a", "", "stable"), "level (none) below min-level low", OptMinLevel},
		{"unknown level is informational", Selection{MinLevel: "low"}, sigma("a", "severe", "stable"), "level severe below min-level low", OptMinLevel},
		{"status drops", Selection{Status: []string{"stable", "test"}}, sigma("a", "low", "experimental"), "status experimental not in stable,test", OptStatus},
		{"status keeps any case", Selection{Status: []string{"Stable"}}, sigma("a", "low", "stable"), "", ""},
		{"no status", Selection{Status: []string{"stable"}}, sigma("a", "low", ""), "status (none) not in stable", OptStatus},
		{"tags drop", Selection{Tags: []string{"attack.t1", "attack.t3"}}, sigma("a", "low", "", "attack.t2"), "no tag in attack.t1,attack.t3", OptTags},
		{"tags keep any case", Selection{Tags: []string{"ATTACK.T2"}}, sigma("a", "low", "", "attack.t2"), "", ""},
		{"exclude by id", Selection{ExcludeIDs: []string{"A"}}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"exclude by name", Selection{ExcludeIDs: []string{"n-a"}}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"exclude comes first", Selection{ExcludeIDs: []string{"a"}, MinLevel: "high"}, sigma("a", "low", ""), "excluded by id", OptExclude},
		{"min-level before status", Selection{MinLevel: "high", Status: []string{"stable"}}, sigma("a", "low", "test"), "level low below min-level high", OptMinLevel},
		{"empty exclude matches nothing", Selection{ExcludeIDs: []string{""}}, Meta{}, "", ""},

		{"kql zero", Selection{}, kql, "", ""},
		{"kql min-level", Selection{MinLevel: "high"}, kql, "level medium below min-level high", OptMinLevel},
		{"kql min-level keeps", Selection{MinLevel: "low"}, kql, "", ""},
		{"kql exclude", Selection{ExcludeIDs: []string{"X"}}, kql, "excluded by id", OptExclude},
		{"kql tags keep", Selection{Tags: []string{"ATTACK.T1102"}}, kql, "", ""},
		{"kql tags drop", Selection{Tags: []string{"attack.t1059"}}, kql, "no tag in attack.t1059", OptTags},
		{"kql has no status", Selection{Status: []string{"stable"}}, kql, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, option := tt.sel.Why(tt.m)
			if reason != tt.reason || option != tt.option {
				t.Errorf("Why = %q, %q; want %q, %q", reason, option, tt.reason, tt.option)
			}
		})
	}
}

func TestSelectionValidate(t *testing.T) {
	if err := (Selection{MinLevel: "Critical"}).Validate(); err != nil {
		t.Errorf("critical: %v", err)
	}
	if err := (Selection{MinLevel: "severe"}).Validate(); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("severe: %v, want ErrUnknownLevel", err)
	}
}

// TestSelectionRuleOptions: --rule names rules by id, Sigma name or
// detection id; --level keeps the listed levels; a rule of status
// unsupported runs only when named by its own id or name, or asked for.
func TestSelectionRuleOptions(t *testing.T) {
	sig := Meta{ID: "S1", Name: "sig_one", Level: "high", Status: "test"}
	twin := Meta{ID: "K1", Detection: "s1", Level: "high", NoStatus: true}
	verbatim := Meta{ID: "V1", Detection: "S1", Level: "medium", Status: "unsupported"}
	tests := []struct {
		name   string
		sel    Selection
		m      Meta
		option string
	}{
		{"rule by id", Selection{IDs: []string{"s1"}}, sig, ""},
		{"rule by name", Selection{IDs: []string{"SIG_ONE"}}, sig, ""},
		{"rule by detection id", Selection{IDs: []string{"S1"}}, twin, ""},
		{"rule not named", Selection{IDs: []string{"other"}}, sig, OptRule},
		{"exclude by detection id", Selection{ExcludeIDs: []string{"s1"}}, twin, OptExclude},
		{"level listed", Selection{Levels: []string{"low", "HIGH"}}, sig, ""},
		{"level not listed", Selection{Levels: []string{"critical"}}, sig, OptLevel},
		{"unsupported by default", Selection{}, verbatim, OptUnsupported},
		{"unsupported: detection id is not enough", Selection{IDs: []string{"S1"}}, verbatim, OptUnsupported},
		{"unsupported named", Selection{IDs: []string{"v1"}}, verbatim, ""},
		{"unsupported by status", Selection{Status: []string{"unsupported"}}, verbatim, ""},
		{"unsupported kept", Selection{KeepUnsupported: true}, verbatim, ""},
		{"unsupported, other reason first", Selection{IDs: []string{"v1"}, MinLevel: "high"}, verbatim, OptMinLevel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, opt := tt.sel.Why(tt.m)
			if opt != tt.option || (opt == "") != (reason == "") {
				t.Errorf("Why = %q, %q; want option %q", reason, opt, tt.option)
			}
		})
	}
	if err := (Selection{Levels: []string{"high", "severe"}}).Validate(); !errors.Is(err, ErrUnknownLevel) {
		t.Errorf("Validate: %v", err)
	}
	known := func(ref string) bool { return ref == "S1" || ref == "K1" }
	bad := Selection{IDs: []string{"S1", "nope"}, ExcludeIDs: []string{"K1", "gone"}}.Unnamed(known)
	if len(bad) != 2 || bad[0] != (UnnamedRef{"--rule", "nope"}) || bad[1] != (UnnamedRef{"--exclude-rule", "gone"}) {
		t.Errorf("Unnamed = %+v", bad)
	}
}

// TestSelectionKeepHit: the event options filter hits by their event;
// each option given must hold; a correlation hit passes when one of its
// events does.
func TestSelectionKeepHit(t *testing.T) {
	sysmon := &parsers.Event{Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Computer: "WS-FIN-07.corp.example.com"}
	sec := &parsers.Event{Channel: "Security", EventID: 4688, Computer: "DC01"}
	row := &parsers.Event{EventID: 1, Computer: "ws-fin-07.corp.example.com"} // a KQL row: no channel
	hit := func(ev *parsers.Event) *hunt.Hit { return &hunt.Hit{Rule: &hunt.Rule{ID: "r"}, Event: ev} }
	corr := &hunt.Hit{Rule: &hunt.Rule{ID: "c"}, Related: []*parsers.Event{sysmon, sec}}
	tests := []struct {
		name string
		sel  Selection
		hit  *hunt.Hit
		want bool
	}{
		{"none", Selection{}, hit(row), true},
		{"channel name any case", Selection{Channels: []string{"security"}}, hit(sec), true},
		{"channel by service", Selection{Channels: []string{"sysmon"}}, hit(sysmon), true},
		{"channel other", Selection{Channels: []string{"sysmon"}}, hit(sec), false},
		{"channel unknown on a row", Selection{Channels: []string{"sysmon"}}, hit(row), false},
		{"event id", Selection{EventIDs: []uint32{4688, 4624}}, hit(sec), true},
		{"event id other", Selection{EventIDs: []uint32{4624}}, hit(sec), false},
		{"computer short name", Selection{Computers: []string{"ws-fin-07"}}, hit(sysmon), true},
		{"computer prefix is not a name", Selection{Computers: []string{"ws-fin"}}, hit(sysmon), false},
		{"computer glob", Selection{Computers: []string{"WS-*.corp.*"}}, hit(row), true},
		{"computer glob other", Selection{Computers: []string{"dc*"}}, hit(sysmon), false},
		{"all must hold", Selection{Channels: []string{"security"}, Computers: []string{"ws-fin-07"}}, hit(sec), false},
		{"correlation: one event passes", Selection{Computers: []string{"dc01"}}, corr, true},
		{"correlation: none passes", Selection{Computers: []string{"dc02"}}, corr, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.KeepHit(tt.hit); got != tt.want {
				t.Errorf("KeepHit = %v, want %v", got, tt.want)
			}
		})
	}
}
