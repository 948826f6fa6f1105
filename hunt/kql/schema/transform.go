package schema

import (
	"crypto/sha1"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// baseName returns the part of a Windows (or POSIX) path after the last
// separator.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// extension returns the file extension of p without the dot, or "".
func extension(p string) string {
	b := baseName(p)
	if i := strings.LastIndexByte(b, '.'); i >= 0 {
		return b[i+1:]
	}
	return ""
}

// splitUser splits "DOMAIN\user" into its parts; a name without a backslash
// has an empty domain.
func splitUser(u string) (domain, name string) {
	if i := strings.IndexByte(u, '\\'); i >= 0 {
		return u[:i], u[i+1:]
	}
	return "", u
}

// domainPart returns the part before a backslash, or "" when there is none
// (the ASIM parsers' rule for SrcDomain, DstDomain and DvcDomain).
func domainPart(s string) string {
	d, _ := splitUser(s)
	return d
}

// hashes holds the digests of a Sysmon "Hashes" value, in lower-case hex.
type hashes struct {
	sha1, sha256, md5, imphash string
}

// parseHashes reads Sysmon's "SHA1=..,MD5=..,SHA256=..,IMPHASH=.." list. A
// bare digest (Sysmon 15 "Hash" in older schemas) is classified by length.
func parseHashes(s string) hashes {
	var h hashes
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, ",")
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			v, k = k, ""
			switch len(v) {
			case 32:
				k = "MD5"
			case 40:
				k = "SHA1"
			case 64:
				k = "SHA256"
			}
		}
		v = strings.ToLower(strings.TrimSpace(v))
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "SHA1":
			h.sha1 = v
		case "SHA256":
			h.sha256 = v
		case "MD5":
			h.md5 = v
		case "IMPHASH":
			h.imphash = v
		}
	}
	return h
}

// best returns the ASIM Hash and HashType: the first of SHA256, SHA1,
// IMPHASH and MD5 that is present.
func (h hashes) best() (string, string) {
	switch {
	case h.sha256 != "":
		return h.sha256, "SHA256"
	case h.sha1 != "":
		return h.sha1, "SHA1"
	case h.imphash != "":
		return h.imphash, "IMPHASH"
	case h.md5 != "":
		return h.md5, "MD5"
	}
	return "", ""
}

// parseNum reads a decimal or "0x"-prefixed hexadecimal integer, as Windows
// writes process and logon ids (winevent.ParseNumber). It returns nil (a KQL
// null) when s is not a number.
func parseNum(s string) any {
	if n, ok := winevent.ParseNumber(s); ok {
		return n
	}
	return nil
}

// numString renders a parsed id as the decimal string the ASIM parsers
// produce (tostring(toint(...))), or "" when s is not a number.
func numString(s string) string {
	if v, ok := parseNum(s).(int64); ok {
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// sysmonTime parses Sysmon's UtcTime layout "2006-01-02 15:04:05.000".
func sysmonTime(s string) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// timeCell returns t as a cell, or nil for the zero time.
func timeCell(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// deviceID synthesizes a stable 40-hex-digit device id from a host name, the
// shape of a Defender DeviceId.
func deviceID(computer string) string {
	sum := sha1.Sum([]byte(strings.ToLower(computer)))
	return hex.EncodeToString(sum[:])
}

// integrityFromLabel maps a 4688 MandatoryLabel SID to Defender's level name.
func integrityFromLabel(sid string) string {
	l, _ := winevent.LookupLabel(sid)
	return l.Defender
}

// asimIntegrity maps a 4688 MandatoryLabel SID the way the ASIM 4688 parser's
// lookup table does.
func asimIntegrity(sid string) string {
	l, _ := winevent.LookupLabel(sid)
	return l.ASIM
}

// knownSIDName names the well-known SIDs the ASIM 4688 parser resolves when a
// user name is "-".
func knownSIDName(sid string) string {
	a, _ := winevent.LookupAccount(sid)
	return a.ASIM
}

// winAccount joins a domain and user the Windows way, "DOMAIN\user", or
// returns the user alone when there is no domain.
func winAccount(domain, user string) string {
	if domain == "" || domain == "-" {
		return user
	}
	return domain + `\` + user
}

// ipType classifies an address the way Defender's LocalIPType/RemoteIPType do.
func ipType(s string) string {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	switch {
	case a.Is4In6():
		return "FourToSixMapping"
	case a.IsLoopback():
		return "Loopback"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "Broadcast"
	case a.IsPrivate():
		return "Private"
	case a.Is6() && netip.MustParsePrefix("2001::/32").Contains(a):
		return "Teredo"
	case a.IsLinkLocalUnicast(), a.IsMulticast(), a.IsUnspecified(), a.IsInterfaceLocalMulticast(),
		a.Is4() && (netip.MustParsePrefix("0.0.0.0/8").Contains(a) || netip.MustParsePrefix("240.0.0.0/4").Contains(a) ||
			netip.MustParsePrefix("100.64.0.0/10").Contains(a)):
		return "Reserved"
	}
	return "Public"
}

// regHive rewrites the hive abbreviations Sysmon writes (HKLM\, HKU\, HKCR\,
// HKCU\) and the kernel paths Security 4657 writes (\REGISTRY\MACHINE\) to the
// long names Defender and ASIM show.
func regHive(k string) string {
	for _, p := range [...][2]string{
		{`HKLM`, `HKEY_LOCAL_MACHINE`}, {`HKU`, `HKEY_USERS`}, {`HKCR`, `HKEY_CLASSES_ROOT`},
		{`HKCU`, `HKEY_CURRENT_USER`}, {`\REGISTRY\MACHINE`, `HKEY_LOCAL_MACHINE`}, {`\REGISTRY\USER`, `HKEY_USERS`},
	} {
		n := len(p[0])
		if len(k) >= n && strings.EqualFold(k[:n], p[0]) && (len(k) == n || k[n] == '\\') {
			return p[1] + k[n:]
		}
	}
	return k
}

// regDetails decodes Sysmon 13 Details into a Defender value type
// (Dword/Qword/Binary/String) and data: "DWORD (0x00000001)" becomes "1",
// "QWORD (0x00000001-0x00000002)" the 64-bit decimal value.
func regDetails(d string) (typ, data string) {
	switch {
	case strings.HasPrefix(d, "DWORD (") && strings.HasSuffix(d, ")"):
		if v, err := strconv.ParseUint(strings.TrimPrefix(d[7:len(d)-1], "0x"), 16, 32); err == nil {
			return "Dword", strconv.FormatUint(v, 10)
		}
		return "Dword", d
	case strings.HasPrefix(d, "QWORD (") && strings.HasSuffix(d, ")"):
		hi, lo, ok := strings.Cut(d[7:len(d)-1], "-")
		if ok {
			h, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 32)
			l, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 32)
			if err1 == nil && err2 == nil {
				return "Qword", strconv.FormatUint(h<<32|l, 10)
			}
		}
		return "Qword", d
	case d == "Binary Data":
		return "Binary", d
	}
	return "String", d
}

// asimRegType maps a Defender value type to the ASIM RegistryValueType.
func asimRegType(t string) string {
	switch t {
	case "Dword":
		return "Reg_DWord"
	case "Qword":
		return "Reg_QWord"
	case "Binary":
		return "Reg_Binary"
	case "String":
		return "Reg_Sz"
	}
	return ""
}

// regActionType maps Sysmon's registry EventType to the Defender ActionType
// (also the ASIM EventType).
func regActionType(eventType string, id uint32) string {
	switch eventType {
	case "CreateKey":
		return "RegistryKeyCreated"
	case "DeleteKey":
		return "RegistryKeyDeleted"
	case "DeleteValue":
		return "RegistryValueDeleted"
	case "SetValue", "CreateValue":
		return "RegistryValueSet"
	case "RenameKey":
		return "RegistryKeyRenamed"
	}
	switch id {
	case 13:
		return "RegistryValueSet"
	case 14:
		return "RegistryKeyRenamed"
	}
	return ""
}

// stripBraces removes the braces around a GUID.
func stripBraces(g string) string {
	return strings.TrimSuffix(strings.TrimPrefix(g, "{"), "}")
}

// guidKey normalizes a process GUID for the process-tree index.
func guidKey(g string) string {
	return strings.ToLower(stripBraces(strings.TrimSpace(g)))
}
