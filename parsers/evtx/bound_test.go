package evtx

import (
	"testing"

	"github.com/loghunt/loghunt/parsers"
	"github.com/loghunt/loghunt/parsers/evtx/internal/binxml"
)

// amplifiedDoc builds the tree a hostile template can produce: one element
// holding n copies of the same 30 000-byte binary substitution.
func amplifiedDoc(n int) *binxml.Doc {
	doc := &binxml.Doc{Data: make([]byte, 30000), Names: []string{"Event", "EventData", "Big"}}
	add := func(parent int32, nd binxml.Node) int32 {
		i := int32(len(doc.Nodes))
		nd.Parent, nd.Child, nd.Last, nd.Next = parent, -1, -1, -1
		doc.Nodes = append(doc.Nodes, nd)
		if parent >= 0 {
			p := &doc.Nodes[parent]
			if p.Last < 0 {
				p.Child = i
			} else {
				doc.Nodes[p.Last].Next = i
			}
			p.Last = i
		}
		return i
	}
	root := add(-1, binxml.Node{Kind: binxml.KindRoot})
	ev := add(root, binxml.Node{Kind: binxml.KindElement, NameID: 0})
	ed := add(ev, binxml.Node{Kind: binxml.KindElement, NameID: 1})
	big := add(ed, binxml.Node{Kind: binxml.KindElement, NameID: 2})
	for i := 0; i < n; i++ {
		add(big, binxml.Node{Kind: binxml.KindValue, Type: binxml.TypeBinary, Off: 0, Size: 30000})
	}
	return doc
}

func TestRenderedTextIsBounded(t *testing.T) {
	doc := amplifiedDoc(2000) // 2000 × 60 000 hex bytes = 120 MB unbounded
	var n normalizer
	var ev parsers.Event
	if n.fill(&ev, doc, nil, nil) {
		t.Fatal("fill accepted a record whose text exceeds the bound")
	}
	total := 0
	for _, f := range ev.Fields {
		total += len(f.Value)
	}
	if total > 2*maxRendered {
		t.Fatalf("fields hold %d bytes", total)
	}
	var r renderer
	for _, f := range []Format{FormatXML, FormatJSON} {
		out := r.appendRecord(nil, doc, f, 0)
		if len(out) > 5*maxRendered {
			t.Fatalf("%s rendering grew to %d bytes", f, len(out))
		}
	}
	// A normal amount of repetition is fine.
	if !n.fill(&ev, amplifiedDoc(3), nil, nil) {
		t.Fatal("fill rejected a small record")
	}
}
