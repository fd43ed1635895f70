package memstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Limits on what a request may carry. They keep one call from exhausting memory or a model's
// context, and each error message names the limit.
const (
	MaxIDLength      = 128
	MaxMessages      = 1000
	MaxMessageRunes  = 100_000
	MaxQueryRunes    = 4_000
	MaxTags          = 32
	MaxTagRunes      = 64
	MaxInfoKeys      = 32
	MaxInfoKeyRunes  = 64
	MaxInfoValueRune = 1024
	MaxTopK          = 100
	MaxPageSize      = 100
	MaxIDsPerCall    = 1000
)

// checkName validates a user, cube or conversation id.
func checkName(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return Invalid(field, "is empty", "give a non-empty id")
	}
	if len(v) > MaxIDLength {
		return Invalidf(field, "use a shorter id", "is %d bytes long, the limit is %d", len(v), MaxIDLength)
	}
	if !utf8.ValidString(v) {
		return Invalid(field, "is not valid UTF-8", "send the id as UTF-8 text")
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return Invalid(field, "contains a control character", "use printable characters only")
		}
	}
	if strings.TrimSpace(v) != v {
		return Invalid(field, "has leading or trailing spaces", "remove them")
	}
	return nil
}

// checkOptionalName validates an id that may be empty.
func checkOptionalName(field, v string) error {
	if v == "" {
		return nil
	}
	return checkName(field, v)
}

// CheckMemoryID validates a memory id and returns its canonical (lower-case) form.
func CheckMemoryID(field, id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", Invalid(field, "is empty", "give a memory id such as 6b23b583-f4c4-4a8f-b345-58d0c48fea04, as returned by add_message, search_memory and get_memory")
	}
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil || len(strings.TrimSpace(id)) != 36 {
		return "", Invalidf(field, "memory ids are UUIDs like 6b23b583-f4c4-4a8f-b345-58d0c48fea04, as returned by add_message, search_memory and get_memory",
			"%q is not a memory id", truncate(id, 60))
	}
	return u.String(), nil
}

// checkText trims *s and checks that it is not empty and at most limit characters long.
func checkText(field string, s *string, limit int, emptyFix, longFix string) error {
	*s = strings.TrimSpace(*s)
	if *s == "" {
		return Invalid(field, "is empty", emptyFix)
	}
	if n := utf8.RuneCountInString(*s); n > limit {
		return Invalidf(field, longFix, "is %d characters long, the limit is %d", n, limit)
	}
	return nil
}

func checkTags(field string, tags []string) error {
	if len(tags) > MaxTags {
		return Invalidf(field, "keep the most useful ones", "has %d tags, the limit is %d", len(tags), MaxTags)
	}
	for i, t := range tags {
		f := fmt.Sprintf("%s[%d]", field, i)
		if strings.TrimSpace(t) == "" {
			return Invalid(f, "is empty", "remove it or give a tag")
		}
		if utf8.RuneCountInString(t) > MaxTagRunes {
			return Invalidf(f, "use a shorter tag", "is longer than %d characters", MaxTagRunes)
		}
	}
	return nil
}

func checkInfo(field string, info map[string]string) error {
	if len(info) > MaxInfoKeys {
		return Invalidf(field, "merge or drop some keys", "has %d keys, the limit is %d", len(info), MaxInfoKeys)
	}
	for k, v := range info {
		if strings.TrimSpace(k) == "" {
			return Invalid(field, "has an empty key", "give every value a name")
		}
		if utf8.RuneCountInString(k) > MaxInfoKeyRunes {
			return Invalidf(field+"."+truncate(k, 20), "use a shorter key", "key is longer than %d characters", MaxInfoKeyRunes)
		}
		if utf8.RuneCountInString(v) > MaxInfoValueRune {
			return Invalidf(field+"."+k, "store long text as a message instead", "value is longer than %d characters", MaxInfoValueRune)
		}
	}
	return nil
}

// timeLayouts are the formats accepted for chat_time, feedback_time and expires_at: RFC 3339 and
// the "2025-12-02 10:10:10" style MemOS clients send. Times without a zone are taken as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseTime parses a client-supplied time; field names the argument in the error.
func ParseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, Invalidf(field,
		`use RFC 3339 ("2025-12-02T10:10:10Z" or "2025-12-02T10:10:10+08:00") or "2025-12-02 10:10:10" (UTC)`,
		"%q is not a time I can read", truncate(s, 60))
}

// truncate shortens s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// ParseTTL reads a time to live: a Go duration ("90s", "15m", "36h"), days or weeks ("7d", "2w"), or
// a number of seconds ("3600").
func ParseTTL(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	fix := `give a duration such as "90s", "24h", "7d" or "2w"`
	var d time.Duration
	var err error
	switch {
	case s == "":
		return 0, Invalid(field, "is empty", fix)
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w"):
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		var n float64
		n, err = strconv.ParseFloat(s[:len(s)-1], 64)
		d = time.Duration(n * float64(unit))
	default:
		if n, perr := strconv.ParseFloat(s, 64); perr == nil {
			d = time.Duration(n * float64(time.Second))
		} else {
			d, err = time.ParseDuration(s)
		}
	}
	if err != nil {
		return 0, Invalidf(field, fix, "%q is not a duration", truncate(s, 30))
	}
	if d <= 0 || d > 100*365*24*time.Hour {
		return 0, Invalidf(field, fix+" (positive, at most 100 years)", "%q is out of range", truncate(s, 30))
	}
	return d, nil
}
