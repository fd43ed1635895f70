package embedded

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/memos-mcp/memos-mcp/memstore"
)

func codecMemories() []memstore.Memory {
	shanghai := time.FixedZone("UTC+8", 8*3600)
	created := time.Date(2025, 3, 2, 18, 4, 5, 123456789, shanghai)
	expires := time.Date(2031, 1, 1, 0, 0, 0, 1, time.UTC)
	return []memstore.Memory{
		{
			ID: "0197c0de-1234-7abc-8def-0123456789ab", UserID: "user-1", CubeID: "cube-1", ConversationID: "conv-1",
			Kind: memstore.KindFact, MemoryType: memstore.LongTermMemory, Content: "The user met Alice in Berlin.",
			Key: "Berlin", Tags: []string{"travel", "work"}, Info: map[string]string{"city": "Berlin"},
			Sources:    []memstore.Source{{Type: "chat", Role: "user", Content: "I met Alice in Berlin", ChatTime: created.Add(-time.Minute)}},
			Background: "trip", Confidence: 0.875, Status: memstore.StatusActivated,
			CreatedAt: created, UpdatedAt: created.Add(time.Hour), ExpiresAt: &expires,
			History: []memstore.Version{{Memory: "old", UpdateType: memstore.UpdateFeedback,
				ArchivedMemoryID: "6b23b583-f4c4-4a8f-b345-58d0c48fea04", CreatedAt: created.Add(-time.Hour)}},
			Embedding: []float32{0.6, 0.8, 0, 0, 0, 0, 0, 0},
		},
		{
			ID: "6b23b583-f4c4-4a8f-b345-58d0c48fea04", UserID: "用户", CubeID: "立方", ConversationID: "",
			Kind: memstore.KindPreference, MemoryType: memstore.PreferenceMemory, PreferenceType: memstore.ExplicitPreference,
			Content: "用户说：我喜欢吃苹果", Preference: "我喜欢吃苹果", Topic: "水果", Polarity: memstore.Like,
			Confidence: 1, Status: memstore.StatusArchived, CreatedAt: time.Unix(0, -1).UTC(), UpdatedAt: created,
			Embedding: []float32{float32(math.Inf(1)), -0, float32(math.SmallestNonzeroFloat32), -1, 1e30, 0, 0, 0},
		},
		{
			ID: "00000000-0000-4000-8000-000000000000", UserID: "u", CubeID: "c", Kind: memstore.KindFact,
			MemoryType: memstore.WorkingMemory, Status: memstore.StatusDeleted, CreatedAt: time.Unix(1, 0),
		},
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, m := range codecMemories() {
		t.Run(m.ID, func(t *testing.T) {
			b, err := encodeRecord(&m)
			if err != nil {
				t.Fatalf("encodeRecord: %v", err)
			}
			h, vec, p, err := decodeHeader(b, nil)
			if err != nil {
				t.Fatalf("decodeHeader: %v", err)
			}
			want := headerOf(&m)
			if len(want.tags) == 0 {
				want.tags = nil
			}
			if len(want.info) == 0 {
				want.info = nil
			}
			if !reflect.DeepEqual(h, want) {
				t.Errorf("decodeHeader: header %+v, want %+v", h, want)
			}
			if !slices.Equal(math32bits(vec), math32bits(m.Embedding)) {
				t.Errorf("decodeHeader: vector %v, want %v", vec, m.Embedding)
			}
			if p > len(b) || !json.Valid(b[p:]) {
				t.Errorf("decodeHeader: body offset %d does not start the JSON body", p)
			}
			// decodeHeader appends to the vector it is given.
			prefix := []float32{42}
			if _, v2, _, err := decodeHeader(b, prefix); err != nil || len(v2) != 1+len(m.Embedding) || v2[0] != 42 {
				t.Errorf("decodeHeader with a vector to append to: %v, %v", v2, err)
			}

			got, err := decodeRecord(b)
			if err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			if !slices.Equal(math32bits(got.Embedding), math32bits(m.Embedding)) {
				t.Errorf("decodeRecord: embedding %v, want %v", got.Embedding, m.Embedding)
			}
			if !got.CreatedAt.Equal(m.CreatedAt) || !got.UpdatedAt.Equal(m.UpdatedAt) ||
				(got.ExpiresAt == nil) != (m.ExpiresAt == nil) || (m.ExpiresAt != nil && !got.ExpiresAt.Equal(*m.ExpiresAt)) {
				t.Errorf("decodeRecord: times %v %v %v, want %v %v %v", got.CreatedAt, got.UpdatedAt, got.ExpiresAt, m.CreatedAt, m.UpdatedAt, m.ExpiresAt)
			}
			// Everything else, field by field, through the JSON clients see.
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(m)
			if !bytes.Equal(gj, wj) {
				t.Errorf("decodeRecord:\n\tgot  %s\n\twant %s", gj, wj)
			}
			// The embedding is stored once, in binary, not in the JSON body.
			if bytes.Contains(b[p:], []byte("embedding")) {
				t.Errorf("the JSON body holds the embedding: %s", b[p:])
			}
		})
	}
}

// math32bits compares float32s by bits (so -0, NaN and infinities count).
func math32bits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}

func TestEncodeRecordRejectsUnknownCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(m *memstore.Memory)
	}{
		{"empty kind", func(m *memstore.Memory) { m.Kind = "" }},
		{"unknown kind", func(m *memstore.Memory) { m.Kind = "episode" }},
		{"empty status", func(m *memstore.Memory) { m.Status = "" }},
		{"unknown status", func(m *memstore.Memory) { m.Status = "paused" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := codecMemories()[0]
			tc.edit(&m)
			if _, err := encodeRecord(&m); err == nil {
				t.Errorf("encodeRecord accepted kind %q status %q", m.Kind, m.Status)
			}
		})
	}
}

func TestDecodeTruncatedRecord(t *testing.T) {
	for _, m := range codecMemories() {
		b, err := encodeRecord(&m)
		if err != nil {
			t.Fatal(err)
		}
		_, _, bodyAt, err := decodeHeader(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(b) {
			_, _, _, herr := decodeHeader(b[:n], nil)
			if n < bodyAt && herr == nil {
				t.Errorf("%s: decodeHeader of the first %d of %d header bytes: no error", m.ID, n, bodyAt)
			}
			if _, err := decodeRecord(b[:n]); !errors.Is(err, errCorrupt) {
				t.Errorf("%s: decodeRecord of the first %d of %d bytes: error %v, want errCorrupt", m.ID, n, len(b), err)
			}
		}
	}
}

// hugeDimRecord is a record whose header claims a vector of dim dimensions and then carries tail.
func hugeDimRecord(dim uint64, tail []byte) []byte {
	b := []byte{recordFormat}
	b = binary.AppendVarint(b, 1)
	b = binary.AppendVarint(b, 0)
	b = append(b, 0, 0, 1, 'u', 1, 'c', 0)
	b = binary.AppendUvarint(b, dim)
	return append(b, tail...)
}

// decodeNoPanic runs decodeHeader and decodeRecord, turning a panic into an error.
func decodeNoPanic(b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic: " + toString(r))
		}
	}()
	if _, vec, p, err := decodeHeader(b, nil); err == nil {
		if p < 0 || p > len(b) || 4*len(vec) > len(b) {
			return errors.New("decodeHeader succeeded with an offset or vector beyond the input")
		}
	}
	_, _ = decodeRecord(b)
	return nil
}

func toString(v any) string {
	if e, ok := v.(error); ok {
		return e.Error()
	}
	if s, ok := v.(string); ok {
		return s
	}
	return "non-error panic value"
}

func TestDecodeHeaderHugeDimension(t *testing.T) {
	// A dimension whose byte length (dim × 4) overflows uint64 must be rejected, not read.
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"2^62 dimensions, no vector", hugeDimRecord(1<<62, []byte(`{}`))},
		{"2^62+1 dimensions, one value", hugeDimRecord(1<<62+1, []byte{0, 0, 128, 63, '{', '}'})},
		{"2^64-1 dimensions", hugeDimRecord(math.MaxUint64, []byte(`{"id":"x"}`))},
		{"2^63 dimensions", hugeDimRecord(1<<63, []byte(`{}`))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := decodeNoPanic(tc.b); err != nil {
				t.Errorf("decode % x: %v", tc.b, err)
			}
			if _, _, _, err := decodeHeaderNoPanic(tc.b); err == nil {
				t.Errorf("decodeHeader(% x) accepted a header claiming more dimensions than there are bytes", tc.b)
			}
		})
	}
}

func decodeHeaderNoPanic(b []byte) (h header, vec []float32, p int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("panic: " + toString(r))
		}
	}()
	return decodeHeader(b, nil)
}

func FuzzDecodeHeader(f *testing.F) {
	for _, m := range codecMemories() {
		b, err := encodeRecord(&m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte{recordFormat})
	f.Add([]byte{recordFormat, 0x80})
	f.Add(hugeDimRecord(1<<62, []byte(`{}`)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := decodeNoPanic(b); err != nil {
			t.Fatalf("input % x: %v", b, err)
		}
	})
}
