package winevent

import (
	"strings"

	"github.com/loghunt/loghunt/parsers"
)

// Normalize applies, in place, the facts every parser applies to every
// decoded event, whatever its input shape; parsers/evtx and parsers/json
// call it before they emit an event:
//   - the event time: EventTime, when it gives one, replaces the System
//     time (Sysmon's UtcTime; see TimeField);
//   - field names: DataName gives the names with spaces that some
//     providers write (Defender's "Threat Name") the names rules use.
//
// It allocates only to rename a field DataNames does not list.
func Normalize(ev *parsers.Event) {
	if t, ok := EventTime(ev); ok {
		ev.Time = t
	}
	if spacedNames(ev.Channel) {
		for i := range ev.Fields {
			ev.Fields[i].Name = DataName(ev.Channel, ev.Fields[i].Name)
		}
	}
}

// spacedNames reports whether the channel's providers write EventData
// names with spaces that rules spell otherwise.
func spacedNames(channel string) bool {
	return strings.EqualFold(channel, Defender)
}

// DataNames are the EventData names with spaces that Microsoft Defender
// Antivirus (the Defender channel: detections 1006-1119, configuration
// changes 5007, feature errors 3002, ...) writes, and the names SigmaHQ's
// windefend rules and its THOR test mapping (Signature: ThreatName) give
// them: the spaces dropped, except Feature_Name, which the rules write with
// an underscore.
var DataNames = map[string]string{
	"Threat Name":       "ThreatName",
	"Threat ID":         "ThreatID",
	"Process Name":      "ProcessName",
	"Source Name":       "SourceName",
	"Source ID":         "SourceID",
	"Detection User":    "DetectionUser",
	"Detection ID":      "DetectionID",
	"Detection Time":    "DetectionTime",
	"Severity ID":       "SeverityID",
	"Severity Name":     "SeverityName",
	"Category ID":       "CategoryID",
	"Category Name":     "CategoryName",
	"Action ID":         "ActionID",
	"Action Name":       "ActionName",
	"Origin Name":       "OriginName",
	"Execution Name":    "ExecutionName",
	"Type Name":         "TypeName",
	"Error Code":        "ErrorCode",
	"Error Description": "ErrorDescription",
	"Remediation User":  "RemediationUser",
	"Engine Version":    "EngineVersion",
	"Product Name":      "ProductName",
	"Product Version":   "ProductVersion",
	"Old Value":         "OldValue",
	"New Value":         "NewValue",
	"Feature Name":      "Feature_Name",
}

// DataName returns the name rules use for the EventData field name of an
// event of channel: for the Defender channel, the DataNames entry, or the
// name with its spaces dropped; name itself otherwise.
func DataName(channel, name string) string {
	if strings.IndexByte(name, ' ') < 0 || !spacedNames(channel) {
		return name
	}
	if n, ok := DataNames[name]; ok {
		return n
	}
	return strings.ReplaceAll(name, " ", "")
}
