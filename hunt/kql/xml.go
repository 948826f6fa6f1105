package kql

import (
	"encoding/xml"
	"strings"
)

// maxXMLDepth bounds element nesting in parse_xml.
const maxXMLDepth = 64

// parseXML is KQL parse_xml(): elements become property bags keyed by
// element name; attributes are "@name" keys; text is "#text" (or the
// element's value when it has no attributes or children); repeated
// children become arrays. Malformed XML yields null.
func parseXML(s string) any {
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = false
	type frame struct {
		name string
		bag  map[string]any
		text strings.Builder
	}
	root := map[string]any{}
	stack := []*frame{{bag: root}}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) > maxXMLDepth {
				return nil
			}
			f := &frame{name: t.Name.Local, bag: map[string]any{}}
			for _, a := range t.Attr {
				f.bag["@"+a.Name.Local] = a.Value
			}
			stack = append(stack, f)
		case xml.CharData:
			stack[len(stack)-1].text.Write(t)
		case xml.EndElement:
			if len(stack) < 2 {
				return nil
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var v any
			text := strings.TrimSpace(f.text.String())
			if len(f.bag) == 0 {
				v = text
			} else {
				if text != "" {
					f.bag["#text"] = text
				}
				v = f.bag
			}
			parent := stack[len(stack)-1].bag
			if old, ok := parent[f.name]; ok {
				if arr, isArr := old.([]any); isArr {
					parent[f.name] = append(arr, v)
				} else {
					parent[f.name] = []any{old, v}
				}
			} else {
				parent[f.name] = v
			}
		}
	}
	if len(root) == 0 {
		return nil
	}
	return root
}
