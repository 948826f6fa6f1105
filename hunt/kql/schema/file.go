package schema

import (
	"strconv"
	"strings"
	"unicode"
)

// zoneValue returns the value of key= in a Zone.Identifier stream's
// contents, e.g. HostUrl in "[ZoneTransfer]  ZoneId=3  HostUrl=https://...".
func zoneValue(contents, key string) string {
	i := strings.Index(contents, key+"=")
	if i < 0 {
		return ""
	}
	s := contents[i+len(key)+1:]
	if j := strings.IndexFunc(s, unicode.IsSpace); j >= 0 {
		s = s[:j]
	}
	return s
}

func fileAction(id uint32) string {
	switch id {
	case 11, 15:
		return "FileCreated"
	case 23, 26:
		return "FileDeleted"
	case 2:
		return "FileCreationTimeChanged"
	}
	return ""
}

// fileColumns fills Defender's FileName, FolderPath, SHA1, SHA256 and MD5
// columns for the file at path with digests h.
func fileColumns(w row, path string, h hashes) {
	w.str("FileName", baseName(path))
	w.str("FolderPath", path)
	w.str("SHA1", h.sha1)
	w.str("SHA256", h.sha256)
	w.str("MD5", h.md5)
}

// initiating fills the Initiating* columns a Sysmon event carries itself
// (Image, ProcessId, User) and queues the process-tree lookup for the rest.
func initiating(w row, v *view) {
	img := v.get("Image")
	w.str("InitiatingProcessFileName", baseName(img))
	w.str("InitiatingProcessFolderPath", img)
	w.set("InitiatingProcessId", parseNum(v.get("ProcessId")))
	dom, name := splitUser(v.get("User"))
	w.str("InitiatingProcessAccountDomain", dom)
	w.str("InitiatingProcessAccountName", name)
	w.lookup(v.get("ProcessGuid"))
}

// dfeSysmon adds a DeviceFileEvents row from Sysmon 11 (file created), 23 and
// 26 (deleted), 15 (stream created; a Zone.Identifier stream gives the
// origin URLs of its base file) and 2 (creation time changed).
func (b *Builder) dfeSysmon(v *view, id uint32) {
	w := b.newRow(b.dfe, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", fileAction(id))
	path := v.get("TargetFilename")
	h := parseHashes(v.get("Hashes"))
	if id == 15 {
		h = parseHashes(v.get("Hash"))
		const zone = ":Zone.Identifier"
		if n := len(path) - len(zone); n > 0 && strings.EqualFold(path[n:], zone) {
			path = path[:n]
			c := v.get("Contents")
			w.str("FileOriginUrl", zoneValue(c, "HostUrl"))
			w.str("FileOriginReferrerUrl", zoneValue(c, "ReferrerUrl"))
		}
	}
	fileColumns(w, path, h)
	w.str("AdditionalFields", jsonBag(v, "ProcessGuid", "CreationUtcTime", "IsExecutable", "Archived", "RuleName"))
	initiating(w, v)
}

// imfSysmon adds an imFileEvent row from Sysmon 11, 23 or 26.
func (b *Builder) imfSysmon(v *view, id uint32) {
	w := b.newRow(b.imf, v.event(), v.time)
	asimCommon(w, v, "Sysmon", "FileEvent", "0.2.1", fileAction(id), strconv.Itoa(int(id)))
	w.set("Type", "Event")
	w.set("EventSeverity", "Informational")
	path := v.get("TargetFilename")
	w.str("TargetFilePath", path)
	w.str("FilePath", path)
	w.str("TargetFileName", baseName(path))
	w.str("TargetFileExtension", extension(path))
	w.set("TargetFilePathType", "Windows Local")
	if t, ok := sysmonTime(v.get("CreationUtcTime")); ok {
		w.set("TargetFileCreationTime", t)
	}
	h := parseHashes(v.get("Hashes"))
	w.str("TargetFileMD5", h.md5)
	w.str("TargetFileSHA1", h.sha1)
	w.str("TargetFileSHA256", h.sha256)
	w.str("TargetFileIMPHASH", h.imphash)
	hash, typ := h.best()
	w.str("Hash", hash)
	w.str("HashType", typ)
	actingASIM(w, v)
}

// actingASIM fills the ASIM actor and acting-process columns from a Sysmon
// event's User, Image, ProcessId and ProcessGuid.
func actingASIM(w row, v *view) {
	u := v.get("User")
	w.str("ActorUsername", u)
	w.str("User", u)
	w.set("ActorUsernameType", "Windows")
	img := v.get("Image")
	w.str("ActingProcessName", img)
	w.str("Process", img)
	w.str("ActingProcessId", v.get("ProcessId"))
	w.str("ActingProcessGuid", v.get("ProcessGuid"))
	w.lookup(v.get("ProcessGuid"))
}

// dilSysmon adds a DeviceImageLoadEvents row from Sysmon event 7.
func (b *Builder) dilSysmon(v *view, _ uint32) {
	w := b.newRow(b.dil, v.event(), v.time)
	b.device(w, v, v.event())
	w.set("ActionType", "ImageLoaded")
	fileColumns(w, v.get("ImageLoaded"), parseHashes(v.get("Hashes")))
	w.str("AdditionalFields", jsonBag(v, "ProcessGuid", "Signed", "Signature", "SignatureStatus", "RuleName"))
	initiating(w, v)
}

// registry splits a Sysmon 12/13/14 event into Defender's terms.
type regEvent struct {
	action, key, valueName, valueType, valueData, previousKey string
}

func parseReg(v *view, id uint32) regEvent {
	r := regEvent{action: regActionType(v.get("EventType"), id)}
	target := regHive(v.get("TargetObject"))
	switch r.action {
	case "RegistryValueSet", "RegistryValueDeleted":
		if i := strings.LastIndexByte(target, '\\'); i >= 0 {
			r.key, r.valueName = target[:i], target[i+1:]
		} else {
			r.key = target
		}
	case "RegistryKeyRenamed":
		r.previousKey, r.key = target, regHive(v.get("NewName"))
	default:
		r.key = target
	}
	if id == 13 {
		r.valueType, r.valueData = regDetails(v.get("Details"))
	}
	return r
}

// dreSysmon adds a DeviceRegistryEvents row from Sysmon 12, 13 or 14.
func (b *Builder) dreSysmon(v *view, id uint32) {
	w := b.newRow(b.dre, v.event(), v.time)
	b.device(w, v, v.event())
	r := parseReg(v, id)
	w.str("ActionType", r.action)
	w.str("RegistryKey", r.key)
	w.str("RegistryValueName", r.valueName)
	w.str("RegistryValueType", r.valueType)
	w.str("RegistryValueData", r.valueData)
	w.str("PreviousRegistryKey", r.previousKey)
	initiating(w, v)
}

// imrSysmon adds an imRegistry row from Sysmon 12, 13 or 14.
func (b *Builder) imrSysmon(v *view, id uint32) {
	w := b.newRow(b.imr, v.event(), v.time)
	r := parseReg(v, id)
	asimCommon(w, v, "Sysmon", "RegistryEvent", "0.1.2", r.action, strconv.Itoa(int(id)))
	w.set("Type", "Event")
	w.set("EventSeverity", "Informational")
	w.str("RegistryKey", r.key)
	w.str("RegistryValue", r.valueName)
	w.str("RegistryValueType", asimRegType(r.valueType))
	w.str("RegistryValueData", r.valueData)
	w.str("RegistryPreviousKey", r.previousKey)
	actingASIM(w, v)
}
