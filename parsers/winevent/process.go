package winevent

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/loghunt/loghunt/parsers"
)

// ProcessKey names the process an event is about, so that a reader can see
// that two hits concern the same process: 16 hexadecimal digits, or ""
// when the event names no process. It is a 64-bit FNV-1a hash of the
// computer name, the process id and the image path, each compared without
// case and the id in decimal, so that the two records of one process
// creation agree:
//   - Sysmon events (1 and every event with ProcessId and Image): the
//     process that acts (for Sysmon 1, the new process);
//   - Security 4688: the new process (NewProcessId in hex, NewProcessName),
//     the same key as its Sysmon 1;
//   - Security 4689: the process that exited (ProcessId, ProcessName).
//
// The ProcessGuid is left out: 4688 has none, and a key must be the same
// from either log. Process ids are reused, so two processes of the same
// image on one computer may share a key over a long period; the hit's
// time tells them apart.
func ProcessKey(ev *parsers.Event) string {
	var pid, image string
	switch {
	case IsSysmon(ev.Channel, ev.Provider):
		pid, _ = ev.Get("ProcessId")
		image, _ = ev.Get("Image")
	case IsSecurity(ev.Channel, ev.Provider) && ev.EventID == Security4688.EventID:
		pid, _ = ev.Get(Security4688.From("ProcessId"))
		image, _ = ev.Get(Security4688.From("Image"))
	case IsSecurity(ev.Channel, ev.Provider) && ev.EventID == 4689:
		pid, _ = ev.Get("ProcessId")
		image, _ = ev.Get("ProcessName")
	default:
		return ""
	}
	n, ok := ParseNumber(pid)
	image = strings.TrimSpace(image)
	if !ok || image == "" {
		return ""
	}
	computer := ev.Computer
	if computer == "" {
		computer, _ = ev.Get("Computer")
	}
	h := fnvOffset
	h = fnvLower(h, strings.TrimSpace(computer))
	h = fnvByte(h, 0)
	h = fnvLower(h, strconv.FormatInt(n, 10))
	h = fnvByte(h, 0)
	h = fnvLower(h, image)
	s := strconv.FormatUint(h, 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// ProcessKeyFields are the fields ProcessKey reads, besides the event's
// core fields: an event slimmed to them (and the core) has the same key.
func ProcessKeyFields() []string {
	return []string{"ProcessId", "Image", Security4688.From("ProcessId"), Security4688.From("Image"), "ProcessName", "Computer"}
}

const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func fnvByte(h uint64, b byte) uint64 { return (h ^ uint64(b)) * fnvPrime }

// fnvLower hashes the lower-case UTF-8 form of s.
func fnvLower(h uint64, s string) uint64 {
	for _, r := range strings.ToLower(s) {
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, b := range buf[:n] {
			h = fnvByte(h, b)
		}
	}
	return h
}
