package yamldoc

import (
	"errors"
	"testing"
)

func TestLine(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("yaml: line 5: did not find expected key"), 5},
		{errors.New("yaml: unmarshal errors:\n  line 12: cannot unmarshal !!seq into string"), 12},
		{errors.New("no position"), 0},
		{errors.New("yaml: line : odd"), 0},
		{errors.New("yaml: line 99999999999999: huge"), 0},
	} {
		if got := Line(c.err); got != c.want {
			t.Errorf("Line(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestDocuments(t *testing.T) {
	docs, err := Documents([]byte("a: 1\n---\nb: 2\n---\n"))
	if err != nil || len(docs) != 2 || docs[0].Content[0].Value != "a" || docs[1].Content[0].Value != "b" {
		t.Fatalf("two documents and an empty one: %d docs, %v", len(docs), err)
	}
	docs, err = Documents([]byte("a: 1\n---\nb: [\n"))
	if err == nil || len(docs) != 1 {
		t.Fatalf("a good document then a broken one: %d docs, %v; want 1 and an error", len(docs), err)
	}
}
