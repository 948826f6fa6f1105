package schema

import (
	"strconv"
	"strings"

	"github.com/loghunt/loghunt/parsers/winevent"
)

// isFirewallEvent reports whether a Security event id is one of the Windows
// Filtering Platform connection events the ASIM firewall parser reads.
func isFirewallEvent(id uint32) bool {
	return id >= 5152 && id <= 5159
}

// wfpAllowed reports whether a WFP event records a permitted operation.
func wfpAllowed(id uint32) bool {
	return id == 5154 || id == 5156 || id == 5158
}

// wfpDirection maps the WFP Direction message id (or its rendered text) to
// the ASIM NetworkDirection. Forward, Bidirectional and Listen have no ASIM
// value and become NA, so the column keeps to the schema's enumeration.
func wfpDirection(s string) string {
	switch strings.TrimSpace(s) {
	case "%%14592", "Inbound":
		return "Inbound"
	case "%%14593", "Outbound":
		return "Outbound"
	}
	return "NA"
}

// ianaProtocols names the IP protocol numbers WFP events carry.
var ianaProtocols = map[string]string{
	"1": "ICMP", "2": "IGMP", "6": "TCP", "17": "UDP", "41": "IPv6", "47": "GRE", "50": "ESP", "51": "AH", "58": "ICMPv6",
}

// wfpProcessID returns the process id a WFP event records for the
// application: the EventData field winevent.WFPProcessID names. 5156's
// "ProcessID" shares its name with the System ProcessID the parsers also
// store, and EventData comes after System, so the last value is taken;
// 5158's "ProcessId" is looked up exactly, so the System value (always 4,
// the kernel) never stands in for it.
func wfpProcessID(v *view, id uint32) string {
	var buf [4]string
	vals := v.event().Values(buf[:0], winevent.WFPProcessID(id))
	if len(vals) == 0 {
		return ""
	}
	return vals[len(vals)-1]
}

// imnFirewall adds an imNetworkSession row from a Security WFP event
// (5152-5159), as the ASIM Windows Firewall parser maps it.
func (b *Builder) imnFirewall(v *view, id uint32) {
	w := b.newRow(b.imn, v.event(), v.time)
	asimCommon(w, v, "Windows Firewall", "NetworkSession", "0.2.3", "NetworkSession", strconv.Itoa(int(id)))
	w.set("Type", "SecurityEvent")
	allowed := wfpAllowed(id)
	if allowed {
		w.set("DvcAction", "Allow")
		w.set("EventSeverity", "Informational")
	} else {
		w.set("DvcAction", "Deny")
		w.set("EventSeverity", "Low")
		w.set("EventResult", "Failure")
	}
	dir := wfpDirection(v.get("Direction"))
	w.set("NetworkDirection", dir)
	proto := v.get("Protocol")
	if p, ok := ianaProtocols[proto]; ok {
		proto = p
	}
	w.str("NetworkProtocol", proto)
	src, dst := v.get("SourceAddress"), v.get("DestAddress")
	if strings.Contains(src, ":") || strings.Contains(dst, ":") {
		w.set("NetworkProtocolVersion", "IPv6")
	} else if src != "" || dst != "" {
		w.set("NetworkProtocolVersion", "IPv4")
	}
	if rt := v.get("FilterRTID"); rt != "" {
		w.set("NetworkRuleNumber", parseNum(rt))
		w.set("Rule", rt)
	}
	w.str("SrcIpAddr", src)
	w.str("IpAddr", src)
	w.str("Src", src)
	w.str("DstIpAddr", dst)
	w.str("Dst", dst)
	w.set("SrcPortNumber", portCell(v.get("SourcePort")))
	w.set("DstPortNumber", portCell(v.get("DestPort")))
	w.str("Hostname", v.host())
	w.set("SrcAppType", "Process")
	w.set("DstAppType", "Process")
	app, pid := v.get("Application"), numString(wfpProcessID(v, id))
	user := v.get("RemoteUserID")
	if user == winevent.NullSID {
		user = ""
	}
	machine := v.get("RemoteMachineID")
	if machine == winevent.NullSID {
		machine = ""
	}
	switch dir {
	case "Outbound":
		w.str("SrcHostname", v.host())
		w.str("SrcAppName", app)
		w.str("SrcProcessId", pid)
		w.str("DstUserId", user)
		w.str("SrcDvcId", machine)
	case "Inbound":
		w.str("DstHostname", v.host())
		w.str("DstAppName", app)
		w.str("DstProcessId", pid)
		w.str("SrcUserId", user)
		w.str("DstDvcId", machine)
	}
}

// dneFirewall adds a DeviceNetworkEvents row from a Security WFP event.
// DestAddress is always the remote peer, SourceAddress the local one.
func (b *Builder) dneFirewall(v *view, id uint32) {
	var action string
	switch {
	case id == 5156 && wfpDirection(v.get("Direction")) == "Outbound":
		action = "ConnectionSuccess"
	case id == 5156:
		action = "InboundConnectionAccepted"
	case id == 5157:
		action = "ConnectionFailed"
	case id == 5158:
		action = "ListeningConnectionCreated"
	default:
		return // packet drops and listen permits have no Defender equivalent
	}
	w := b.newRow(b.dne, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", action)
	rip, lip := v.get("DestAddress"), v.get("SourceAddress")
	w.str("RemoteIP", rip)
	w.set("RemotePort", portCell(v.get("DestPort")))
	w.str("LocalIP", lip)
	w.set("LocalPort", portCell(v.get("SourcePort")))
	w.str("RemoteIPType", ipType(rip))
	w.str("LocalIPType", ipType(lip))
	switch v.get("Protocol") {
	case "6":
		w.set("Protocol", "Tcp")
	case "17":
		w.set("Protocol", "Udp")
	case "1":
		w.set("Protocol", "Icmp")
	}
	app := v.get("Application")
	w.str("InitiatingProcessFileName", baseName(app))
	w.str("InitiatingProcessFolderPath", app)
	w.set("InitiatingProcessId", parseNum(wfpProcessID(v, id)))
	w.str("AdditionalFields", jsonBag(v, "FilterRTID", "LayerName", "LayerRTID"))
}
