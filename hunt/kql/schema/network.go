package schema

import (
	"strconv"
	"strings"
)

// direction reads Sysmon 3 Initiated: "true" is an outbound connection,
// "false" an inbound one; anything else is unknown.
func direction(v *view) (outbound, known bool) {
	switch strings.ToLower(strings.TrimSpace(v.get("Initiated"))) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

func portCell(s string) any {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil
	}
	return n
}

// dash maps Sysmon's "-" placeholder to an empty string.
func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// dneSysmon adds a DeviceNetworkEvents row from Sysmon event 3. Sysmon logs
// established connections only, so the action is ConnectionSuccess for
// outbound and InboundConnectionAccepted for inbound.
func (b *Builder) dneSysmon(v *view) {
	w := b.newRow(b.dne, v.event(), v.time)
	b.device(w, v, v.event())
	out, known := direction(v)
	local, remote := "Source", "Destination"
	if known && !out {
		local, remote = remote, local
	}
	if known {
		if out {
			w.set("ActionType", "ConnectionSuccess")
		} else {
			w.set("ActionType", "InboundConnectionAccepted")
		}
	}
	rip, lip := v.get(remote+"Ip"), v.get(local+"Ip")
	w.str("RemoteIP", rip)
	w.set("RemotePort", portCell(v.get(remote+"Port")))
	w.str("RemoteUrl", dash(v.get(remote+"Hostname")))
	w.str("LocalIP", lip)
	w.set("LocalPort", portCell(v.get(local+"Port")))
	w.str("RemoteIPType", ipType(rip))
	w.str("LocalIPType", ipType(lip))
	switch p := strings.ToLower(v.get("Protocol")); p {
	case "tcp":
		w.set("Protocol", "Tcp")
	case "udp":
		w.set("Protocol", "Udp")
	default:
		if p != "" {
			w.set("Protocol", strings.ToUpper(p[:1])+p[1:])
		}
	}
	img := v.get("Image")
	w.str("InitiatingProcessFileName", baseName(img))
	w.str("InitiatingProcessFolderPath", img)
	w.set("InitiatingProcessId", parseNum(v.get("ProcessId")))
	dom, name := splitUser(v.get("User"))
	w.str("InitiatingProcessAccountDomain", dom)
	w.str("InitiatingProcessAccountName", name)
	w.str("AdditionalFields", jsonBag(v, "ProcessGuid", "SourceIsIpv6", "DestinationIsIpv6", "SourcePortName", "DestinationPortName", "RuleName"))
	w.lookup(v.get("ProcessGuid"))
}

// imnSysmon adds an imNetworkSession row from Sysmon event 3, as the ASIM
// Sysmon parser maps it. NetworkDirection is Outbound or Inbound (never
// "true"/"false"); the process columns go to the Src side for outbound
// connections and to the Dst side for inbound ones.
func (b *Builder) imnSysmon(v *view) {
	w := b.newRow(b.imn, v.event(), v.time)
	asimCommon(w, v, "Sysmon", "NetworkSession", "0.2.4", "EndpointNetworkSession", "3")
	if t, ok := sysmonTime(v.get("UtcTime")); ok {
		w.set("EventStartTime", t)
		w.set("EventEndTime", t)
	}
	w.set("Type", "Event")
	w.set("EventSeverity", "Informational")
	w.str("DvcDomain", domainPart(v.host()))
	out, known := direction(v)
	switch {
	case !known:
		w.set("NetworkDirection", "NA")
	case out:
		w.set("NetworkDirection", "Outbound")
	default:
		w.set("NetworkDirection", "Inbound")
	}
	w.str("NetworkProtocol", strings.ToUpper(v.get("Protocol")))
	if strings.EqualFold(v.get("SourceIsIpv6"), "true") || strings.EqualFold(v.get("DestinationIsIpv6"), "true") {
		w.set("NetworkProtocolVersion", "IPv6")
	} else {
		w.set("NetworkProtocolVersion", "IPv4")
	}
	w.str("NetworkRuleName", v.get("RuleName"))
	src, dst := v.get("SourceIp"), v.get("DestinationIp")
	w.str("SrcIpAddr", src)
	w.str("IpAddr", src)
	w.str("Src", src)
	w.str("DvcIpAddr", src)
	w.str("DstIpAddr", dst)
	w.str("Dst", dst)
	w.set("SrcPortNumber", portCell(v.get("SourcePort")))
	w.set("DstPortNumber", portCell(v.get("DestinationPort")))
	sh, dh := v.get("SourceHostname"), v.get("DestinationHostname")
	w.str("SrcHostname", sh)
	w.str("DstHostname", dh)
	w.str("SrcDomain", domainPart(sh))
	w.str("DstDomain", domainPart(dh))
	if sh == "-" {
		w.str("Hostname", dh)
	} else {
		w.str("Hostname", sh)
	}
	w.set("SrcAppType", "Process")
	w.set("DstAppType", "Process")
	w.set("SrcUsernameType", "Simple")
	if known {
		side := "Src"
		if !out {
			side = "Dst"
		}
		img := v.get("Image")
		w.str(side+"ProcessName", img)
		w.str(side+"AppName", img)
		w.str(side+"ProcessId", v.get("ProcessId"))
		w.str(side+"ProcessGuid", stripBraces(v.get("ProcessGuid")))
		w.str(side+"Username", v.get("User"))
	}
}
