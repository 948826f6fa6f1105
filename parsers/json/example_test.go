package json_test

import (
	"fmt"
	"strings"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/json"
)

func ExampleNewUnit() {
	logs := `{"EventID": 4688, "Channel": "security", "TimeCreated": "2024-03-01T10:01:00.5Z", "NewProcessName": "C:\\Users\\Public\\7za.exe"}
not json
{"winlog": {"event_id": 1, "channel": "Microsoft-Windows-Sysmon/Operational", "event_data": {"Image": "C:\\x.exe"}}, "@timestamp": "2024-03-01T10:02:00Z"}
`
	u := json.NewUnit(strings.NewReader(logs), "logs.jsonl", json.Options{})
	stats, err := u.Decode(func(e *parsers.Event) error {
		img, _ := e.Get("NewProcessName")
		if img == "" {
			img, _ = e.Get("Image")
		}
		fmt.Println(e.Source, e.Time.Format("15:04:05.0"), e.Channel, e.EventID, img)
		return nil
	}, func(pe *parsers.ParseError) {
		fmt.Println("skipped:", pe)
	})
	fmt.Println(stats.Records, stats.Failed, err)
	// Output:
	// logs.jsonl:1 10:01:00.5 Security 4688 C:\Users\Public\7za.exe
	// skipped: logs.jsonl:2 document: syntax error: invalid character 'o' in literal null (line 2, offset 131)
	// logs.jsonl:3 10:02:00.0 Microsoft-Windows-Sysmon/Operational 1 C:\x.exe
	// 2 1 <nil>
}
