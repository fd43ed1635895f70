package memstore

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Expr is a parsed MemOS filter: conditions on memory fields combined with and/or.
//
//	{"and": [{"tags": {"contains": "work"}}, {"created_at": {"gt": "2026-01-01"}}]}
//	{"or": [{"memory_type": "UserMemory"}, {"info.source": "feedback"}]}
//	{"memory_type": "UserMemory", "info.app": {"in": ["a", "b"]}}   (a bare object is an and)
type Expr struct {
	And  []*Expr
	Or   []*Expr
	Cond *Cond
}

// Cond compares one field with a value.
type Cond struct {
	Field string // canonical field name: "memory_type", "tags", "info.date", "created_at", …
	Op    string // eq gt lt gte lte contains in like
	Value any    // string, float64, time.Time, or []any of those for "in"
}

// Filter operators.
var filterOps = []string{"eq", "gt", "lt", "gte", "lte", "contains", "in", "like"}

// fieldKind says how a field's values compare.
type fieldKind int

const (
	kindString fieldKind = iota // exact, like and in compare strings; gt/lt compare lexically
	kindText                    // long text: like/contains are substring matches
	kindEnum                    // one of a few values, checked when parsing
	kindList                    // a list of strings (tags): eq/contains mean "has"
	kindTime                    // compared as instants
	kindNumber                  // compared as numbers
)

var filterFields = map[string]fieldKind{
	"id": kindString, "cube_id": kindString, "conversation_id": kindString,
	"kind": kindEnum, "memory_type": kindEnum, "preference_type": kindEnum, "status": kindEnum, "polarity": kindEnum,
	"key": kindString, "topic": kindString,
	"memory": kindText, "preference": kindText, "background": kindText,
	"tags":       kindList,
	"created_at": kindTime, "updated_at": kindTime, "expires_at": kindTime,
	"confidence": kindNumber,
}

// Aliases MemOS clients use.
var filterAliases = map[string]string{"session_id": "conversation_id", "mem_cube_id": "cube_id", "memory_id": "id"}

var enumValues = map[string][]string{
	"kind":            {string(KindFact), string(KindPreference)},
	"memory_type":     {string(LongTermMemory), string(UserMemory), string(WorkingMemory), string(PreferenceMemory)},
	"preference_type": {string(ExplicitPreference), string(ImplicitPreference)},
	"status":          {string(StatusActivated), string(StatusArchived), string(StatusDeleted)},
	"polarity":        {string(Like), string(Dislike), string(Want)},
}

// textFields are those only the full record holds (an index may not keep them in memory).
var textFields = []string{"memory", "preference", "background"}

// maxFilterDepth and maxFilterConds bound a filter's size.
const (
	maxFilterDepth = 8
	maxFilterConds = 64
)

// ParseFilter parses a MemOS filter given as decoded JSON. field names the argument in errors.
// A nil or empty filter is nil (no condition).
func ParseFilter(field string, raw map[string]any) (*Expr, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	n := 0
	return parseExpr(field, raw, 0, &n)
}

func parseExpr(path string, raw map[string]any, depth int, n *int) (*Expr, error) {
	if depth > maxFilterDepth {
		return nil, Invalidf(path, "flatten the filter", "nests deeper than %d levels", maxFilterDepth)
	}
	if len(raw) == 0 {
		return nil, Invalid(path, "is an empty condition", `give a condition such as {"memory_type": "UserMemory"}`)
	}
	for _, op := range []string{"and", "or"} {
		list, ok := raw[op]
		if !ok {
			continue
		}
		if len(raw) != 1 {
			return nil, Invalidf(path, fmt.Sprintf(`put the other conditions inside the %q list`, op), "mixes %q with other keys", op)
		}
		items, ok := list.([]any)
		if !ok || len(items) == 0 {
			return nil, Invalidf(path+"."+op, `give a non-empty list of conditions, e.g. [{"tags": {"contains": "work"}}]`, "is not a list of conditions")
		}
		e := &Expr{}
		for i, item := range items {
			sub, ok := item.(map[string]any)
			p := fmt.Sprintf("%s.%s[%d]", path, op, i)
			if !ok {
				return nil, Invalid(p, "is not an object", `give a condition such as {"memory_type": "UserMemory"}`)
			}
			child, err := parseExpr(p, sub, depth+1, n)
			if err != nil {
				return nil, err
			}
			if op == "and" {
				e.And = append(e.And, child)
			} else {
				e.Or = append(e.Or, child)
			}
		}
		return e, nil
	}
	// A bare object: every field condition must hold.
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e := &Expr{}
	for _, k := range keys {
		conds, err := parseField(path, k, raw[k], n)
		if err != nil {
			return nil, err
		}
		for _, c := range conds {
			e.And = append(e.And, &Expr{Cond: c})
		}
	}
	if len(e.And) == 1 {
		return e.And[0], nil
	}
	return e, nil
}

// parseField parses `field: value` or `field: {op: value, …}`.
func parseField(path, name string, raw any, n *int) ([]*Cond, error) {
	p := path + "." + name
	canon, kind, err := filterField(p, name)
	if err != nil {
		return nil, err
	}
	ops, ok := raw.(map[string]any)
	if !ok {
		ops = map[string]any{"eq": raw}
	}
	if len(ops) == 0 {
		return nil, Invalid(p, "has no condition", `give a value, or an operator object such as {"gte": "2026-01-01"}`)
	}
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	sort.Strings(names)
	var out []*Cond
	for _, op := range names {
		if *n++; *n > maxFilterConds {
			return nil, Invalidf(path, "split the request", "has more than %d conditions", maxFilterConds)
		}
		if !slices.Contains(filterOps, op) {
			return nil, Invalidf(p+"."+op, "use one of "+strings.Join(filterOps, ", "), "is not a filter operator")
		}
		v, err := filterValue(p+"."+op, canon, kind, op, ops[op])
		if err != nil {
			return nil, err
		}
		out = append(out, &Cond{Field: canon, Op: op, Value: v})
	}
	return out, nil
}

// filterField resolves a field name.
func filterField(path, name string) (string, fieldKind, error) {
	if a, ok := filterAliases[name]; ok {
		name = a
	}
	if k, ok := filterFields[name]; ok {
		return name, k, nil
	}
	if key, ok := strings.CutPrefix(name, "info."); ok && key != "" {
		return name, kindString, nil
	}
	known := make([]string, 0, len(filterFields))
	for f := range filterFields {
		known = append(known, f)
	}
	sort.Strings(known)
	return "", 0, Invalidf(path, "filter on one of "+strings.Join(known, ", ")+", or on an info key written info.<key>",
		"%q is not a memory field", name)
}

// filterValue checks and converts a condition's value for the field's kind.
func filterValue(path, field string, kind fieldKind, op string, raw any) (any, error) {
	if op == "in" {
		list, ok := raw.([]any)
		if !ok {
			return nil, Invalid(path, "is not a list", `"in" takes a list, e.g. {"in": ["a", "b"]}`)
		}
		out := make([]any, len(list))
		for i, item := range list {
			v, err := scalar(fmt.Sprintf("%s[%d]", path, i), field, kind, item)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	switch op {
	case "gt", "lt", "gte", "lte":
		if kind == kindList || kind == kindText || kind == kindEnum {
			return nil, Invalidf(path, "use eq, contains, in or like", "cannot order %s", field)
		}
	case "like", "contains":
		if kind == kindTime || kind == kindNumber {
			return nil, Invalidf(path, "use eq, gt, lt, gte, lte or in", "%s is not text", field)
		}
		s, ok := raw.(string)
		if !ok {
			return nil, Invalid(path, "is not a string", "give the text to look for")
		}
		if op == "like" {
			return strings.ToLower(strings.Trim(s, "%")), nil // SQL-style % wildcards at the ends mean "substring"
		}
		return s, nil
	}
	return scalar(path, field, kind, raw)
}

func scalar(path, field string, kind fieldKind, raw any) (any, error) {
	switch kind {
	case kindTime:
		s, ok := raw.(string)
		if !ok {
			return nil, Invalid(path, "is not a time", `give a time such as "2026-01-01" or "2026-01-01T08:00:00Z"`)
		}
		return ParseTime(path, s)
	case kindNumber:
		switch v := raw.(type) {
		case float64:
			return v, nil
		case string:
			if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) {
				return f, nil
			}
		}
		return nil, Invalid(path, "is not a number", "give a number such as 0.9")
	}
	var s string
	switch v := raw.(type) {
	case string:
		s = v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(v)
	default:
		return nil, Invalid(path, "is not a string", "give a text value")
	}
	if kind == kindEnum && !slices.Contains(enumValues[field], s) {
		return nil, Invalidf(path, "use one of "+strings.Join(enumValues[field], ", "), "%q is not a %s", s, field)
	}
	return s, nil
}

// NeedsText reports whether the filter reads a text field (memory, preference, background).
func (e *Expr) NeedsText() bool {
	if e == nil {
		return false
	}
	if e.Cond != nil {
		return slices.Contains(textFields, e.Cond.Field)
	}
	for _, c := range append(slices.Clip(e.And), e.Or...) {
		if c.NeedsText() {
			return true
		}
	}
	return false
}

// Attrs gives a filter the fields of a memory. A backend's index entry can implement it to filter
// without loading records; a value is a string, []string, time.Time (zero: absent) or float64.
type Attrs interface {
	Attr(field string) any
}

// Attr implements Attrs.
func (m *Memory) Attr(field string) any {
	switch field {
	case "id":
		return m.ID
	case "cube_id":
		return m.CubeID
	case "conversation_id":
		return m.ConversationID
	case "kind":
		return string(m.Kind)
	case "memory_type":
		return string(m.MemoryType)
	case "preference_type":
		return string(m.PreferenceType)
	case "status":
		return string(m.Status)
	case "polarity":
		return string(m.Polarity)
	case "key":
		return m.Key
	case "topic":
		return m.Topic
	case "memory":
		return m.Content
	case "preference":
		return m.Preference
	case "background":
		return m.Background
	case "tags":
		return m.Tags
	case "created_at":
		return m.CreatedAt
	case "updated_at":
		return m.UpdatedAt
	case "expires_at":
		if m.ExpiresAt == nil {
			return time.Time{}
		}
		return *m.ExpiresAt
	case "confidence":
		return m.Confidence
	}
	if key, ok := strings.CutPrefix(field, "info."); ok {
		return m.Info[key]
	}
	return nil
}

// Match reports whether a passes the filter (a nil filter passes everything).
func (e *Expr) Match(a Attrs) bool {
	switch {
	case e == nil:
		return true
	case e.Cond != nil:
		return e.Cond.match(a.Attr(e.Cond.Field))
	case len(e.Or) > 0:
		for _, c := range e.Or {
			if c.Match(a) {
				return true
			}
		}
		return false
	default:
		for _, c := range e.And {
			if !c.Match(a) {
				return false
			}
		}
		return true
	}
}

func (c *Cond) match(v any) bool {
	if c.Op == "in" {
		for _, item := range c.Value.([]any) {
			if (&Cond{Field: c.Field, Op: "eq", Value: item}).match(v) {
				return true
			}
		}
		return false
	}
	switch x := v.(type) {
	case []string: // tags: a condition holds when it holds for some tag
		for _, tag := range x {
			// On a list, contains means "has this element", as in MemOS; like matches inside tags.
			if (c.Op == "contains" && tag == c.Value) || (c.Op != "contains" && c.match(tag)) {
				return true
			}
		}
		return false
	case string:
		want, _ := c.Value.(string)
		switch c.Op {
		case "eq":
			return x == want
		case "like":
			return strings.Contains(strings.ToLower(x), want)
		case "contains":
			return strings.Contains(x, want)
		case "gt":
			return x != "" && x > want
		case "gte":
			return x != "" && x >= want
		case "lt":
			return x != "" && x < want
		case "lte":
			return x != "" && x <= want
		}
	case time.Time:
		want, _ := c.Value.(time.Time)
		if x.IsZero() {
			return false // an absent time (no expiry) satisfies no comparison
		}
		switch c.Op {
		case "eq":
			return x.Equal(want)
		case "gt":
			return x.After(want)
		case "gte":
			return !x.Before(want)
		case "lt":
			return x.Before(want)
		case "lte":
			return !x.After(want)
		}
	case float64:
		want, _ := c.Value.(float64)
		switch c.Op {
		case "eq":
			return x == want
		case "gt":
			return x > want
		case "gte":
			return x >= want
		case "lt":
			return x < want
		case "lte":
			return x <= want
		}
	}
	return false
}
