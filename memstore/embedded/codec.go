package embedded

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// A record is stored as a binary header (what the in-memory index needs: scope, ordering, filter
// fields and the text for the lexical index), the vector, and the memory's JSON. Opening a store
// decodes only headers and vectors, so start-up does not pay for JSON.
//
//	byte     format (recordFormat)
//	varint   created_at, unix seconds; uvarint nanoseconds
//	varint   updated_at, unix seconds; uvarint nanoseconds
//	byte     1 if expires_at follows, else 0
//	varint   expires_at, unix seconds; uvarint nanoseconds (only when present)
//	byte     kind (0 fact, 1 preference)
//	byte     status (0 activated, 1 archived, 2 deleted)
//	strings  user_id, cube_id, conversation_id, memory_type, preference_type, polarity, key, topic,
//	         and the embedding text (each uvarint length + bytes)
//	uint64   confidence, float64 bits
//	uvarint  number of tags, then each tag as a string
//	uvarint  number of info entries, then key and value strings
//	uvarint  dimension, then dimension × float32 little-endian
//	rest     JSON of the memory (without the embedding)
const recordFormat = 2

var errCorrupt = errors.New("corrupt record")

// stamp is an exact point in time, ordered; (seconds, nanoseconds) covers every time.Time, where
// Unix nanoseconds alone would overflow outside 1678–2262.
type stamp struct {
	sec  int64
	nsec int32
}

func stampOf(t time.Time) stamp { return stamp{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

func (a stamp) before(b stamp) bool { return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec }

func (a stamp) time() time.Time { return time.Unix(a.sec, int64(a.nsec)).UTC() }

// header is the part of a record the index keeps in memory.
type header struct {
	created, updated stamp
	expires          stamp
	hasExpiry        bool
	kind             memstore.Kind
	status           memstore.Status
	user, cube, conv string
	memoryType       string
	preferenceType   string
	polarity         string
	key, topic       string
	text             string // the text the memory is embedded by, for the lexical index
	confidence       float64
	tags             []string
	info             map[string]string
}

var kindCodes = []memstore.Kind{memstore.KindFact, memstore.KindPreference}
var statusCodes = []memstore.Status{memstore.StatusActivated, memstore.StatusArchived, memstore.StatusDeleted}

func code[T comparable](list []T, v T) (byte, error) {
	for i, x := range list {
		if x == v {
			return byte(i), nil
		}
	}
	return 0, fmt.Errorf("unknown value %v", v)
}

// parseID turns a memory id into its 16-byte key.
func parseID(id string) ([16]byte, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return [16]byte{}, fmt.Errorf("memory id %q is not a UUID: %w", id, err)
	}
	return u, nil
}

// headerOf extracts a memory's header.
func headerOf(m *memstore.Memory) header {
	h := header{
		created: stampOf(m.CreatedAt), updated: stampOf(m.UpdatedAt), kind: m.Kind, status: m.Status,
		user: m.UserID, cube: m.CubeID, conv: m.ConversationID,
		memoryType: string(m.MemoryType), preferenceType: string(m.PreferenceType), polarity: string(m.Polarity),
		key: m.Key, topic: m.Topic, text: memstore.EmbedText(m), confidence: m.Confidence,
		// Copies: the index keeps them, and the caller may change its memory afterwards.
		tags: slices.Clone(m.Tags), info: maps.Clone(m.Info),
	}
	if m.ExpiresAt != nil {
		h.expires, h.hasExpiry = stampOf(*m.ExpiresAt), true
	}
	return h
}

func appendStamp(buf []byte, s stamp) []byte {
	buf = binary.AppendVarint(buf, s.sec)
	return binary.AppendUvarint(buf, uint64(s.nsec))
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

func encodeRecord(m *memstore.Memory) ([]byte, error) {
	kind, err := code(kindCodes, m.Kind)
	if err != nil {
		return nil, fmt.Errorf("memory %s: kind: %w", m.ID, err)
	}
	status, err := code(statusCodes, m.Status)
	if err != nil {
		return nil, fmt.Errorf("memory %s: status: %w", m.ID, err)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("memory %s: encode: %w", m.ID, err)
	}
	h := headerOf(m)
	buf := make([]byte, 0, 128+len(h.text)+4*len(m.Embedding)+len(body))
	buf = append(buf, recordFormat)
	buf = appendStamp(buf, h.created)
	buf = appendStamp(buf, h.updated)
	if h.hasExpiry {
		buf = appendStamp(append(buf, 1), h.expires)
	} else {
		buf = append(buf, 0)
	}
	buf = append(buf, kind, status)
	for _, s := range []string{h.user, h.cube, h.conv, h.memoryType, h.preferenceType, h.polarity, h.key, h.topic, h.text} {
		buf = appendString(buf, s)
	}
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(h.confidence))
	buf = binary.AppendUvarint(buf, uint64(len(h.tags)))
	for _, t := range h.tags {
		buf = appendString(buf, t)
	}
	buf = binary.AppendUvarint(buf, uint64(len(h.info)))
	for k, v := range h.info {
		buf = appendString(appendString(buf, k), v)
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.Embedding)))
	for _, x := range m.Embedding {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return append(buf, body...), nil
}

// reader decodes a record, remembering the first failure.
type reader struct {
	b   []byte
	p   int
	bad bool
}

func (r *reader) varint() int64 {
	if r.bad {
		return 0
	}
	v, n := binary.Varint(r.b[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return v
}

func (r *reader) uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.p:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.p += n
	return v
}

func (r *reader) byte() byte {
	if r.bad || r.p >= len(r.b) {
		r.bad = true
		return 0
	}
	r.p++
	return r.b[r.p-1]
}

func (r *reader) uint32() uint32 {
	if r.bad || len(r.b)-r.p < 4 {
		r.bad = true
		return 0
	}
	r.p += 4
	return binary.LittleEndian.Uint32(r.b[r.p-4:])
}

func (r *reader) uint64() uint64 {
	if r.bad || len(r.b)-r.p < 8 {
		r.bad = true
		return 0
	}
	r.p += 8
	return binary.LittleEndian.Uint64(r.b[r.p-8:])
}

func (r *reader) stamp() stamp {
	sec, nsec := r.varint(), r.uvarint()
	if nsec >= 1e9 {
		r.bad = true
	}
	return stamp{sec: sec, nsec: int32(nsec)}
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.bad || uint64(len(r.b)-r.p) < n {
		r.bad = true
		return ""
	}
	r.p += int(n)
	return string(r.b[r.p-int(n) : r.p])
}

// count reads a length that must fit in the rest of the record at min bytes per item.
func (r *reader) count(minBytes uint64) int {
	n := r.uvarint()
	if r.bad || n > uint64(len(r.b)-r.p)/minBytes { // divide rather than multiply: n*minBytes can overflow
		r.bad = true
		return 0
	}
	return int(n)
}

// decodeHeader reads a record's header and vector (appending the vector to vec) and returns the
// offset where the JSON body starts.
func decodeHeader(b []byte, vec []float32) (header, []float32, int, error) {
	var h header
	if len(b) < 1 || b[0] != recordFormat {
		return h, vec, 0, fmt.Errorf("%w: unknown format", errCorrupt)
	}
	r := &reader{b: b, p: 1}
	h.created, h.updated = r.stamp(), r.stamp()
	switch r.byte() {
	case 0:
	case 1:
		h.expires, h.hasExpiry = r.stamp(), true
	default:
		r.bad = true
	}
	kind, status := r.byte(), r.byte()
	if r.bad || int(kind) >= len(kindCodes) || int(status) >= len(statusCodes) {
		return h, vec, 0, errCorrupt
	}
	h.kind, h.status = kindCodes[kind], statusCodes[status]
	for _, s := range []*string{&h.user, &h.cube, &h.conv, &h.memoryType, &h.preferenceType, &h.polarity, &h.key, &h.topic, &h.text} {
		*s = r.string()
	}
	h.confidence = math.Float64frombits(r.uint64())
	if n := r.count(1); n > 0 {
		h.tags = make([]string, n)
		for i := range h.tags {
			h.tags[i] = r.string()
		}
	}
	if n := r.count(2); n > 0 {
		h.info = make(map[string]string, n)
		for range n {
			k := r.string()
			h.info[k] = r.string()
		}
	}
	dim := r.count(4)
	if r.bad {
		return h, vec, 0, errCorrupt
	}
	// count(4) checked the bytes are there; decode them in one tight loop.
	raw := r.b[r.p : r.p+4*dim]
	vec = slices.Grow(vec, dim)
	for i := 0; i+4 <= len(raw); i += 4 {
		vec = append(vec, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
	}
	r.p += 4 * dim
	return h, vec, r.p, nil
}

// decodeRecord reads a whole memory.
func decodeRecord(b []byte) (memstore.Memory, error) {
	_, vec, p, err := decodeHeader(b, nil)
	if err != nil {
		return memstore.Memory{}, err
	}
	var m memstore.Memory
	if err := json.Unmarshal(b[p:], &m); err != nil {
		return memstore.Memory{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	m.Embedding = vec
	return m, nil
}
