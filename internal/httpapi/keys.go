package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// MinKeyLength is the shortest API key accepted. Keys are secrets; a short one is guessable.
const MinKeyLength = 12

// Keyring holds the API keys and what each may touch. Only hashes are kept, and every lookup
// compares against every key in constant time, so neither timing nor a memory dump gives a key away.
type Keyring struct {
	keys []keyEntry
}

type keyEntry struct {
	hash   [sha256.Size]byte
	access memstore.Access
}

// ParseKeys reads key entries: "key = user1, user2" or "key = *" (an admin key), one per line (or
// separated by ';'), '#' starting a comment. A key written as "sha256:<hex>" is the SHA-256 of the
// real key, so the file need not hold the secret. source names where the entries come from.
func ParseKeys(source, text string) (*Keyring, error) {
	k := &Keyring{}
	seen := map[[sha256.Size]byte]int{}
	lines := strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ';' })
	for i, line := range lines {
		where := fmt.Sprintf("%s entry %d", source, i+1)
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		secret, users, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: write key = user1, user2 (or key = * for an admin key)", where)
		}
		secret = strings.TrimSpace(secret)
		hash, err := keyHash(secret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if first, dup := seen[hash]; dup {
			return nil, fmt.Errorf("%s: the same key as entry %d; give each key once, with all its users", where, first)
		}
		seen[hash] = i + 1
		access, err := parseUsers(strings.TrimSpace(users))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		k.keys = append(k.keys, keyEntry{hash: hash, access: access})
	}
	return k, nil
}

// Merge returns a keyring with the keys of both; a key in both is an error.
func (k *Keyring) Merge(other *Keyring) (*Keyring, error) {
	out := &Keyring{keys: append(append([]keyEntry{}, k.keys...), other.keys...)}
	for i := range out.keys {
		for j := i + 1; j < len(out.keys); j++ {
			if out.keys[i].hash == out.keys[j].hash {
				return nil, errors.New("the same API key is configured twice (in the keys file and in MEMOS_API_KEYS); give it once")
			}
		}
	}
	return out, nil
}

// Len returns how many keys there are.
func (k *Keyring) Len() int { return len(k.keys) }

func keyHash(secret string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	if hexHash, ok := strings.CutPrefix(secret, "sha256:"); ok {
		b, err := hex.DecodeString(hexHash)
		if err != nil || len(b) != sha256.Size {
			return h, errors.New("a sha256: key must be followed by 64 hex digits (sha256sum of the key)")
		}
		copy(h[:], b)
		return h, nil
	}
	if len(secret) < MinKeyLength {
		return h, fmt.Errorf("the key is %d characters; use at least %d (e.g. openssl rand -hex 24)", len(secret), MinKeyLength)
	}
	if strings.ContainsFunc(secret, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return h, errors.New("a key cannot contain spaces or control characters")
	}
	return sha256.Sum256([]byte(secret)), nil
}

func parseUsers(s string) (memstore.Access, error) {
	if s == "*" {
		return memstore.AdminAccess(), nil
	}
	var users []string
	for _, u := range strings.Split(s, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			return memstore.Access{}, errors.New("name the user ids the key may touch, separated by commas, or * for an admin key")
		}
		if u == "*" {
			return memstore.Access{}, errors.New("* (an admin key) cannot be mixed with user ids")
		}
		if len(u) > memstore.MaxIDLength || strings.ContainsFunc(u, unicode.IsControl) {
			return memstore.Access{}, fmt.Errorf("user id %q is not a valid user id", u)
		}
		users = append(users, u)
	}
	return memstore.UsersAccess(users...), nil
}

// Lookup returns the access of a presented key. It looks at every key whatever matches, in
// constant time per key.
func (k *Keyring) Lookup(presented string) (memstore.Access, bool) {
	h := sha256.Sum256([]byte(presented))
	var found memstore.Access
	ok := 0
	for _, e := range k.keys {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			found, ok = e.access, 1
		}
	}
	return found, ok == 1
}
