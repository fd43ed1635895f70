package embedded

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// A record is stored as a small binary header (what the in-memory index needs), the vector, and the
// memory's JSON. Opening a store decodes only the header and vector of each record, so start-up
// does not pay for JSON.
//
//	byte     format (recordFormat)
//	varint   created_at, unix seconds; uvarint nanoseconds
//	byte     1 if expires_at follows, else 0
//	varint   expires_at, unix seconds; uvarint nanoseconds (only when present)
//	byte     kind (0 fact, 1 preference)
//	byte     status (0 activated, 1 archived, 2 deleted)
//	uvarint+ user_id, cube_id, conversation_id (length-prefixed)
//	uvarint  dimension, then dimension × float32 little-endian
//	rest     JSON of the memory (without the embedding)
const recordFormat = 1

var errCorrupt = errors.New("corrupt record")

// stamp is an exact point in time, ordered; (seconds, nanoseconds) covers every time.Time, where
// Unix nanoseconds alone would overflow outside 1678–2262.
type stamp struct {
	sec  int64
	nsec int32
}

func stampOf(t time.Time) stamp { return stamp{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

func (a stamp) before(b stamp) bool { return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec }

// header is the part of a record the index keeps in memory.
type header struct {
	created          stamp
	expires          stamp
	hasExpiry        bool
	kind             memstore.Kind
	status           memstore.Status
	user, cube, conv string
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
	buf := make([]byte, 0, 64+len(m.UserID)+len(m.CubeID)+len(m.ConversationID)+4*len(m.Embedding)+len(body))
	buf = append(buf, recordFormat)
	created := stampOf(m.CreatedAt)
	buf = binary.AppendVarint(buf, created.sec)
	buf = binary.AppendUvarint(buf, uint64(created.nsec))
	if m.ExpiresAt == nil {
		buf = append(buf, 0)
	} else {
		expires := stampOf(*m.ExpiresAt)
		buf = append(buf, 1)
		buf = binary.AppendVarint(buf, expires.sec)
		buf = binary.AppendUvarint(buf, uint64(expires.nsec))
	}
	buf = append(buf, kind, status)
	for _, s := range []string{m.UserID, m.CubeID, m.ConversationID} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	buf = binary.AppendUvarint(buf, uint64(len(m.Embedding)))
	for _, x := range m.Embedding {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return append(buf, body...), nil
}

// decodeHeader reads a record's header and vector (appending the vector to vec) and returns the
// offset where the JSON body starts.
func decodeHeader(b []byte, vec []float32) (header, []float32, int, error) {
	var h header
	if len(b) < 1 || b[0] != recordFormat {
		return h, vec, 0, fmt.Errorf("%w: unknown format", errCorrupt)
	}
	p := 1
	varint := func() int64 {
		v, n := binary.Varint(b[p:])
		if n <= 0 {
			p = -1
			return 0
		}
		p += n
		return v
	}
	uvarint := func() uint64 {
		v, n := binary.Uvarint(b[p:])
		if n <= 0 {
			p = -1
			return 0
		}
		p += n
		return v
	}
	readStamp := func() stamp {
		sec := varint()
		if p < 0 {
			return stamp{}
		}
		nsec := uvarint()
		if nsec >= 1e9 {
			p = -1
		}
		return stamp{sec: sec, nsec: int32(nsec)}
	}
	h.created = readStamp()
	if p < 0 || p >= len(b) || b[p] > 1 {
		return h, vec, 0, errCorrupt
	}
	h.hasExpiry = b[p] == 1
	p++
	if h.hasExpiry {
		h.expires = readStamp()
	}
	if p < 0 || p+2 > len(b) || int(b[p]) >= len(kindCodes) || int(b[p+1]) >= len(statusCodes) {
		return h, vec, 0, errCorrupt
	}
	h.kind, h.status = kindCodes[b[p]], statusCodes[b[p+1]]
	p += 2
	strs := [3]string{}
	for i := range strs {
		n := uvarint()
		if p < 0 || uint64(len(b)-p) < n {
			return h, vec, 0, errCorrupt
		}
		strs[i] = string(b[p : p+int(n)])
		p += int(n)
	}
	h.user, h.cube, h.conv = strs[0], strs[1], strs[2]
	dim := uvarint()
	if p < 0 || dim > uint64(len(b)-p)/4 { // divide rather than multiply: dim*4 can overflow
		return h, vec, 0, errCorrupt
	}
	for i := 0; i < int(dim); i++ {
		vec = append(vec, math.Float32frombits(binary.LittleEndian.Uint32(b[p:])))
		p += 4
	}
	return h, vec, p, nil
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
