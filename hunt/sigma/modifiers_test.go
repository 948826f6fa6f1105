package sigma

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/loghunt/loghunt/parsers"
)

// ruleWith builds a process_creation rule from a detection body.
func ruleWith(detection string) string {
	return "title: t\nid: 11111111-0000-0000-0000-000000000000\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n" + detection
}

// compileOne loads one rule document; it fails the test if it does not
// load.
func compileOne(t *testing.T, doc string, opts LoadOptions) *Ruleset {
	t.Helper()
	l := NewLoader(opts)
	l.AddBytes("test.yml", []byte(doc))
	rs, rep := l.Compile()
	if len(rep.Failed) > 0 {
		t.Fatalf("rule did not load: %v", rep.Failed[0])
	}
	return rs
}

func matches(rs *Ruleset, e *parsers.Event) bool {
	n := 0
	rs.Match(e, func(*Match) { n++ })
	return n > 0
}

func proc(kv ...string) *parsers.Event { return ev(sysmonCh, 1, kv...) }

type modCase struct {
	name string
	det  string // detection body, indented two spaces
	ev   *parsers.Event
	want bool
}

func runModCases(t *testing.T, cases []modCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			rs := compileOne(t, ruleWith(tt.det), LoadOptions{})
			if got := matches(rs, tt.ev); got != tt.want {
				t.Errorf("match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestModifierStrings(t *testing.T) {
	runModCases(t, []modCase{
		{"plain equal is case-insensitive", "  s:\n    Image: 'C:\\Windows\\CMD.exe'\n  condition: s", proc("Image", `c:\windows\cmd.EXE`), true},
		{"plain equal is whole value", "  s:\n    Image: 'cmd.exe'\n  condition: s", proc("Image", `c:\cmd.exe`), false},
		{"contains", "  s:\n    CommandLine|contains: ' -enc '\n  condition: s", proc("CommandLine", "powershell -ENC abc"), true},
		{"contains miss", "  s:\n    CommandLine|contains: ' -enc '\n  condition: s", proc("CommandLine", "powershell -e abc"), false},
		{"startswith", "  s:\n    Image|startswith: 'C:\\Users\\'\n  condition: s", proc("Image", `C:\users\x\a.exe`), true},
		{"startswith miss", "  s:\n    Image|startswith: 'C:\\Users\\'\n  condition: s", proc("Image", `D:\C:\Users\x`), false},
		{"endswith", "  s:\n    Image|endswith: '\\cmd.exe'\n  condition: s", proc("Image", `C:\x\CMD.EXE`), true},
		{"endswith miss", "  s:\n    Image|endswith: '\\cmd.exe'\n  condition: s", proc("Image", `C:\x\cmd.exe.bak`), false},
		{"list is or", "  s:\n    Image|endswith:\n      - a.exe\n      - b.exe\n  condition: s", proc("Image", `x\b.exe`), true},
		{"all needs every value", "  s:\n    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '\n  condition: s", proc("CommandLine", "x -a y"), false},
		{"all matches", "  s:\n    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '\n  condition: s", proc("CommandLine", "x -b -a y"), true},
		{"cased hit", "  s:\n    CommandLine|contains|cased: 'Secret'\n  condition: s", proc("CommandLine", "a Secret b"), true},
		{"cased miss", "  s:\n    CommandLine|contains|cased: 'Secret'\n  condition: s", proc("CommandLine", "a secret b"), false},
		{"wildcard star", "  s:\n    Image: 'C:*\\system32\\cmd.exe'\n  condition: s", proc("Image", `C:\Windows\System32\cmd.exe`), true},
		{"wildcard question", "  s:\n    Image: 'prog?.exe'\n  condition: s", proc("Image", `progA.exe`), true},
		{"wildcard question needs one char", "  s:\n    Image: 'prog?.exe'\n  condition: s", proc("Image", `prog.exe`), false},
		{"escaped star is literal", "  s:\n    CommandLine: 'a\\*b'\n  condition: s", proc("CommandLine", `a*b`), true},
		{"escaped star does not wildcard", "  s:\n    CommandLine: 'a\\*b'\n  condition: s", proc("CommandLine", `axxb`), false},
		{"double backslash then star is backslash + wildcard", "  s:\n    CommandLine: 'a\\\\*'\n  condition: s", proc("CommandLine", `a\xyz`), true},
		{"plain backslash kept", "  s:\n    Image: 'C:\\Windows\\x.exe'\n  condition: s", proc("Image", `C:\Windows\x.exe`), true},
		{"number value as written", "  s:\n    GrantedAccess: 0x1410\n  condition: s", proc("GrantedAccess", "0x1410"), true},
		{"missing field never matches a value", "  s:\n    Image|endswith: '.exe'\n  condition: s", proc("CommandLine", "x.exe"), false},
		{"repeated field any element", "  s:\n    Tag: b\n  condition: s", proc("Tag", "a", "Tag", "b"), true},
	})
}

func TestModifierNullVsEmpty(t *testing.T) {
	null := "  s:\n    Image: null\n  condition: s"
	empty := "  s:\n    Image: ''\n  condition: s"
	notNull := "  s:\n    Image: null\n  condition: not s"
	exists := "  s:\n    Image|exists: true\n  condition: s"
	notExists := "  s:\n    Image|exists: false\n  condition: s"
	runModCases(t, []modCase{
		{"null on absent", null, proc("CommandLine", "x"), true},
		{"null on empty", null, proc("Image", ""), false},
		{"null on value", null, proc("Image", "a"), false},
		{"empty on absent", empty, proc("CommandLine", "x"), false},
		{"empty on empty", empty, proc("Image", ""), true},
		{"empty on value", empty, proc("Image", "a"), false},
		{"not null on value", notNull, proc("Image", "a"), true},
		{"not null on empty", notNull, proc("Image", ""), true},
		{"exists true on empty", exists, proc("Image", ""), true},
		{"exists true on absent", exists, proc("X", ""), false},
		{"exists false on absent", notExists, proc("X", ""), true},
		{"tilde is null", "  s:\n    Image: ~\n  condition: s", proc("X", "1"), true},
	})
}

func TestModifierRegexp(t *testing.T) {
	runModCases(t, []modCase{
		{"re is case-sensitive", "  s:\n    CommandLine|re: 'Invoke-[A-Z]+'\n  condition: s", proc("CommandLine", "invoke-EXPR"), false},
		{"re hit", "  s:\n    CommandLine|re: 'Invoke-[A-Z]+'\n  condition: s", proc("CommandLine", "x Invoke-EXPR"), true},
		{"re i", "  s:\n    CommandLine|re|i: 'invoke-[a-z]+'\n  condition: s", proc("CommandLine", "INVOKE-EXPR"), true},
		{"re m", "  s:\n    CommandLine|re|m: '^b$'\n  condition: s", proc("CommandLine", "a\nb\nc"), true},
		{"re without m", "  s:\n    CommandLine|re: '^b$'\n  condition: s", proc("CommandLine", "a\nb\nc"), false},
		{"re s", "  s:\n    CommandLine|re|s: 'a.b'\n  condition: s", proc("CommandLine", "a\nb"), true},
		{"re without s", "  s:\n    CommandLine|re: 'a.b'\n  condition: s", proc("CommandLine", "a\nb"), false},
	})
}

func TestModifierEncodings(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	u16 := func(s string) string { return encodeUTF16(s, false, false) }
	var cases []modCase
	// base64offset: the value at each of the three offsets in a longer
	// encoded string.
	for _, prefix := range []string{"", "x", "xy"} {
		for _, suffix := range []string{"", "z", "zz"} {
			cases = append(cases, modCase{
				fmt.Sprintf("base64offset %q+value+%q", prefix, suffix),
				"  s:\n    CommandLine|base64offset|contains: 'http://'\n  condition: s",
				proc("CommandLine", "powershell -e "+b64(prefix+"http://evil"+suffix)), true})
			cases = append(cases, modCase{
				fmt.Sprintf("utf16le|base64offset %q", prefix),
				"  s:\n    CommandLine|utf16le|base64offset|contains: 'Invoke-'\n  condition: s",
				proc("CommandLine", "powershell -enc "+b64(u16(prefix+"Invoke-Mimikatz"+suffix))), true})
		}
	}
	cases = append(cases,
		modCase{"base64offset miss", "  s:\n    CommandLine|base64offset|contains: 'http://'\n  condition: s", proc("CommandLine", b64("ftp://evil")), false},
		modCase{"base64", "  s:\n    CommandLine|base64: 'secret'\n  condition: s", proc("CommandLine", b64("secret")), true},
		modCase{"base64 contains", "  s:\n    CommandLine|base64|contains: 'abc'\n  condition: s", proc("CommandLine", "x "+b64("abc")+" y"), true},
		modCase{"wide base64", "  s:\n    CommandLine|wide|base64offset|contains: 'ping'\n  condition: s", proc("CommandLine", b64(u16("xping"))), true},
		modCase{"utf16be base64", "  s:\n    CommandLine|utf16be|base64|contains: 'ab'\n  condition: s", proc("CommandLine", b64("\x00a\x00b")), true},
		modCase{"utf16 bom base64", "  s:\n    CommandLine|utf16|base64|contains: 'ab'\n  condition: s", proc("CommandLine", b64("\xff\xfea\x00b\x00")), true},
		modCase{"utf16le base64 is not utf16be", "  s:\n    CommandLine|utf16le|base64: 'ab'\n  condition: s", proc("CommandLine", b64("\x00a\x00b")), false},
	)
	runModCases(t, cases)
}

func TestModifierWindash(t *testing.T) {
	det := "  s:\n    CommandLine|windash|contains: ' -exec bypass'\n  condition: s"
	var cases []modCase
	for _, d := range []string{"-", "/", "\u2013", "\u2014", "\u2015"} {
		cases = append(cases, modCase{"dash " + d, det, proc("CommandLine", "powershell "+d+"exec bypass"), true})
	}
	cases = append(cases,
		modCase{"other char", det, proc("CommandLine", "powershell +exec bypass"), false},
		modCase{"two flags permute independently", "  s:\n    CommandLine|windash|contains: ' -a -b'\n  condition: s", proc("CommandLine", "x /a \u2014b"), true},
		modCase{"dash inside a word is kept", "  s:\n    CommandLine|windash|contains: 'Set-Item'\n  condition: s", proc("CommandLine", "Set/Item"), false},
	)
	runModCases(t, cases)
}

func TestModifierCIDR(t *testing.T) {
	runModCases(t, []modCase{
		{"v4 in", "  s:\n    DestinationIp|cidr: 10.0.0.0/8\n  condition: s", proc("DestinationIp", "10.1.2.3"), true},
		{"v4 out", "  s:\n    DestinationIp|cidr: 10.0.0.0/8\n  condition: s", proc("DestinationIp", "11.1.2.3"), false},
		{"v6 in", "  s:\n    DestinationIp|cidr: 'fe80::/10'\n  condition: s", proc("DestinationIp", "fe80::1c2d:3e4f"), true},
		{"v6 out", "  s:\n    DestinationIp|cidr: 'fe80::/10'\n  condition: s", proc("DestinationIp", "2001:db8::1"), false},
		{"v6 loopback list", "  s:\n    DestinationIp|cidr:\n      - '127.0.0.0/8'\n      - '::1/128'\n  condition: s", proc("DestinationIp", "::1"), true},
		{"v4-mapped v6", "  s:\n    DestinationIp|cidr: 192.168.0.0/16\n  condition: s", proc("DestinationIp", "::ffff:192.168.1.1"), true},
		{"not an ip", "  s:\n    DestinationIp|cidr: 10.0.0.0/8\n  condition: s", proc("DestinationIp", "10.x"), false},
	})
}

func TestModifierNumeric(t *testing.T) {
	runModCases(t, []modCase{
		{"lt", "  s:\n    Port|lt: 1024\n  condition: s", proc("Port", "80"), true},
		{"lt edge", "  s:\n    Port|lt: 1024\n  condition: s", proc("Port", "1024"), false},
		{"lte edge", "  s:\n    Port|lte: 1024\n  condition: s", proc("Port", "1024"), true},
		{"gt", "  s:\n    Port|gt: 1024\n  condition: s", proc("Port", "1025"), true},
		{"gt edge", "  s:\n    Port|gt: 1024\n  condition: s", proc("Port", "1024"), false},
		{"gte edge", "  s:\n    Port|gte: 1024\n  condition: s", proc("Port", "1024"), true},
		{"not a number", "  s:\n    Port|gte: 1\n  condition: s", proc("Port", "abc"), false},
		{"hex field", "  s:\n    Pid|gt: 15\n  condition: s", proc("Pid", "0x10"), true},
		{"neq", "  s:\n    Port|neq: 443\n  condition: s", proc("Port", "80"), true},
		{"neq equal", "  s:\n    Port|neq: 443\n  condition: s", proc("Port", "443"), false},
		{"neq list", "  s:\n    Port|neq:\n      - 80\n      - 443\n  condition: s", proc("Port", "80"), false},
		{"hour", "  s:\n    UtcTime|hour|gte: 22\n  condition: s", proc("UtcTime", "2024-01-02 23:10:00.123"), true},
		{"hour miss", "  s:\n    UtcTime|hour|gte: 22\n  condition: s", proc("UtcTime", "2024-01-02 08:10:00.123"), false},
	})
}

func TestModifierFieldref(t *testing.T) {
	runModCases(t, []modCase{
		{"equal", "  s:\n    TargetFilename|fieldref: Image\n  condition: s", proc("TargetFilename", `C:\a.exe`, "Image", `c:\A.exe`), true},
		{"differ", "  s:\n    TargetFilename|fieldref: Image\n  condition: s", proc("TargetFilename", `C:\a.exe`, "Image", `C:\b.exe`), false},
		{"referenced field missing", "  s:\n    TargetFilename|fieldref: Image\n  condition: s", proc("TargetFilename", `C:\a.exe`), false},
		{"referenced field missing negated", "  s:\n    User|fieldref: ParentUser\n  condition: not s", proc("User", `a`), true},
		{"both missing", "  s:\n    TargetFilename|fieldref: Image\n  condition: s", proc("X", "1"), false},
		{"contains", "  s:\n    CommandLine|fieldref|contains: Image\n  condition: s", proc("CommandLine", `"C:\a.exe" /x`, "Image", `C:\a.exe`), true},
		{"startswith", "  s:\n    CommandLine|fieldref|startswith: Image\n  condition: s", proc("CommandLine", `"C:\a.exe" /x`, "Image", `C:\a.exe`), false},
	})
}

func TestModifierExpand(t *testing.T) {
	det := "  s:\n    User|expand: '%Admins%'\n  condition: s"
	opts := LoadOptions{Placeholders: map[string][]string{"admins": {"root", "adm_*"}}}
	rs := compileOne(t, ruleWith(det), opts)
	for _, tc := range []struct {
		user string
		want bool
	}{{"root", true}, {"ADM_bob", true}, {"bob", false}} {
		if got := matches(rs, proc("User", tc.user)); got != tc.want {
			t.Errorf("User %q: match %v, want %v", tc.user, got, tc.want)
		}
	}
	// Default: undefined placeholders never match but the rule loads with
	// a warning; strict mode rejects it.
	l := NewLoader(LoadOptions{})
	l.AddBytes("x.yml", []byte(ruleWith(det)))
	rs, rep := l.Compile()
	if len(rep.Failed) != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Text, "%Admins%") {
		t.Errorf("default placeholders: failed %v warnings %v", rep.Failed, rep.Warnings)
	}
	if matches(rs, proc("User", "%Admins%")) {
		t.Error("undefined placeholder matched its literal text")
	}
	l = NewLoader(LoadOptions{StrictPlaceholders: true})
	l.AddBytes("x.yml", []byte(ruleWith(det)))
	if _, rep := l.Compile(); len(rep.Failed) != 1 {
		t.Errorf("strict placeholders: want 1 failure, got %v", rep.Failed)
	}
	// Escaped percent and literal text around a placeholder.
	rs = compileOne(t, ruleWith("  s:\n    CommandLine|expand: '\\%x%Admins%'\n  condition: s"), opts)
	if !matches(rs, proc("CommandLine", "%xroot")) || matches(rs, proc("CommandLine", "%x%Admins%")) {
		t.Error("escaped percent handling")
	}
	// Without expand a placeholder is literal text.
	rs = compileOne(t, ruleWith("  s:\n    User: '%Admins%'\n  condition: s"), opts)
	if !matches(rs, proc("User", "%admins%")) {
		t.Error("placeholder without expand should be literal")
	}
}

func TestKeywords(t *testing.T) {
	runModCases(t, []modCase{
		{"keyword in any field", "  keywords:\n    - 'event::clear'\n    - 'event::drop'\n  condition: keywords", proc("A", "x", "B", "mimikatz EVENT::drop y"), true},
		{"keyword miss", "  keywords:\n    - 'event::clear'\n  condition: keywords", proc("A", "event:clear"), false},
		{"keyword all", "  k:\n    '|all':\n      - 'OabVirtualDirectory'\n      - ' -ExternalUrl '\n  condition: k", proc("A", "Set-OabVirtualDirectory x", "B", "y -ExternalUrl z"), true},
		{"keyword all miss", "  k:\n    '|all':\n      - 'OabVirtualDirectory'\n      - ' -ExternalUrl '\n  condition: k", proc("A", "Set-OabVirtualDirectory x"), false},
		{"keyword wildcard", "  k:\n    - 'a*c'\n  condition: k", proc("A", "xxabbbcxx"), true},
		{"keyword with selection", "  s:\n    Image|endswith: x.exe\n  k:\n    - secret\n  condition: s and k", proc("Image", "a\\x.exe", "CommandLine", "the SECRET"), true},
	})
}

func TestConditions(t *testing.T) {
	body := "  sel_a:\n    A: '1'\n  sel_b:\n    B: '1'\n  sel1_x:\n    C: '1'\n  filter:\n    D: '1'\n"
	runModCases(t, []modCase{
		{"1 of pattern", body + "  condition: 1 of sel_*", proc("B", "1"), true},
		{"all of pattern miss", body + "  condition: all of sel_*", proc("B", "1"), false},
		{"all of pattern", body + "  condition: all of sel_*", proc("A", "1", "B", "1"), true},
		{"digit pattern", body + "  condition: all of sel1_*", proc("C", "1"), true},
		{"1 of them", body + "  condition: 1 of them", proc("D", "1"), true},
		{"all of them", body + "  condition: all of them", proc("A", "1", "B", "1", "C", "1"), false},
		{"not", body + "  condition: sel_a and not filter", proc("A", "1", "D", "1"), false},
		{"precedence and over or", body + "  condition: sel_a or sel_b and filter", proc("A", "1"), true},
		{"parens", body + "  condition: (sel_a or sel_b) and filter", proc("A", "1"), false},
		{"condition list is or", body + "  condition:\n    - sel_a\n    - sel_b", proc("B", "1"), true},
		{"list of maps is or", "  s:\n    - A: '1'\n    - B: '2'\n  condition: s", proc("B", "2"), true},
		{"map is and", "  s:\n    A: '1'\n    B: '2'\n  condition: s", proc("B", "2"), false},
	})
}

func TestFieldNameCaseFallback(t *testing.T) {
	rs := compileOne(t, ruleWith("  s:\n    ProcessID: '42'\n  condition: s"), LoadOptions{})
	if !matches(rs, proc("ProcessId", "42")) {
		t.Error("case-insensitive fallback did not find ProcessId")
	}
	if matches(rs, proc("ProcessId", "42", "ProcessID", "7")) {
		t.Error("exact name must win over the case-folded one")
	}
}
