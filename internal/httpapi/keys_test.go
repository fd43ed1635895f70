package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestParseKeys(t *testing.T) {
	sum := sha256.Sum256([]byte("carol-secret-key-1"))
	text := "# keys\n  alice-secret-key-1 = alice \nbob-secret-key-1=bob, bob-work # two users\nadmin-secret-key-1 = *\n" +
		"sha256:" + hex.EncodeToString(sum[:]) + " = carol"
	k, err := ParseKeys("keys.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != 4 {
		t.Fatalf("%d keys", k.Len())
	}
	tests := []struct {
		key        string
		ok, admin  bool
		allow, not string
	}{
		{"alice-secret-key-1", true, false, "alice", "bob"},
		{"bob-secret-key-1", true, false, "bob-work", "alice"},
		{"admin-secret-key-1", true, true, "anyone", ""},
		{"carol-secret-key-1", true, false, "carol", "alice"},
		{"alice-secret-key-2", false, false, "", ""},
		{"", false, false, "", ""},
	}
	for _, tt := range tests {
		a, ok := k.Lookup(tt.key)
		if ok != tt.ok || a.Admin() != tt.admin || (tt.allow != "" && !a.Allows(tt.allow)) || (tt.not != "" && a.Allows(tt.not)) {
			t.Errorf("Lookup(%q) = %+v, %v", tt.key, a, ok)
		}
	}
	// The env form separates entries with ';'.
	if k, err := ParseKeys("MEMOS_API_KEYS", "alice-secret-key-1=alice;admin-secret-key-1=*"); err != nil || k.Len() != 2 {
		t.Fatalf("env form: %v", err)
	}
}

func TestParseKeysErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"just-a-key-without-users", "key = user1"},
		{"short=alice", "at least 12"},
		{"alice-secret-key-1 =", "name the user ids"},
		{"alice-secret-key-1 = alice, *", "cannot be mixed"},
		{"sha256:abcd = alice", "64 hex digits"},
		{"alice-secret-key-1 = alice\nalice-secret-key-1 = bob", "same key as entry 1"},
	} {
		_, err := ParseKeys("keys.txt", tt.text)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "keys.txt entry") {
			t.Errorf("ParseKeys(%q) = %v, want an error naming the entry and mentioning %q", tt.text, err, tt.want)
		}
	}
}
