package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// decodeArgs decodes a tool call's JSON arguments into dst, a pointer to an input struct. It is
// strict about names (an unknown argument is an error that suggests the right one, since a typo
// would otherwise silently drop a value) and lenient about forms models and scripts commonly send:
// "true" for true, "10" for 10, a number for an id, a lone string for a list of strings. Every
// error names the argument, with its path for nested ones (messages[2].role).
//
// A struct field may declare other accepted names with the tag `alias:"size"` (comma-separated).
func decodeArgs(raw []byte, dst any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	return decodeValue("arguments", raw, reflect.ValueOf(dst).Elem())
}

// Decode decodes a JSON request into dst, a pointer to a request struct, by the rules of tool
// arguments (see decodeArgs): the REST API applies the same strictness and leniency.
func Decode(raw []byte, dst any) error { return decodeArgs(raw, dst) }

// argDecoder is implemented by argument types that decode themselves, null included.
type argDecoder interface {
	decodeArg(path string, raw json.RawMessage) error
}

func decodeValue(path string, raw json.RawMessage, v reflect.Value) error {
	raw = bytes.TrimSpace(raw)
	if v.CanAddr() {
		if d, ok := v.Addr().Interface().(argDecoder); ok {
			return d.decodeArg(path, raw)
		}
	}
	if string(raw) == "null" {
		return nil // null means "not given"
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(path, raw, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return decodeStruct(path, raw, v)
	case reflect.Slice:
		return decodeSlice(path, raw, v)
	case reflect.Map:
		return decodeMap(path, raw, v)
	case reflect.String:
		s, err := scalarString(path, raw, "a string")
		if err != nil {
			return err
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		b, err := decodeBool(path, raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := decodeInt(path, raw)
		if err != nil {
			return err
		}
		v.SetInt(n)
		return nil
	case reflect.Float64, reflect.Float32:
		f, err := decodeFloat(path, raw)
		if err != nil {
			return err
		}
		v.SetFloat(f)
		return nil
	case reflect.Interface: // free-form JSON, e.g. a filter's values
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			return memstore.Invalidf(path, "send valid JSON", "could not be read: %v", err)
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	}
	return fmt.Errorf("decode %s: unsupported type %s", path, v.Type())
}

// fieldName returns the JSON name and alias of a struct field ("" for unexported or "-").
func fieldName(f reflect.StructField) (name, alias string) {
	if !f.IsExported() {
		return "", ""
	}
	name, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return "", ""
	}
	if name == "" {
		name = f.Name
	}
	return name, f.Tag.Get("alias")
}

func decodeStruct(path string, raw json.RawMessage, v reflect.Value) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return memstore.Invalidf(path, "send an object with named values", "expected an object, got %s", describe(raw))
	}
	t := v.Type()
	byName := make(map[string]int, t.NumField())
	var names []string
	for i := range t.NumField() {
		name, alias := fieldName(t.Field(i))
		if name == "" {
			continue
		}
		byName[name] = i
		names = append(names, name)
		for a := range strings.SplitSeq(alias, ",") {
			if a != "" {
				byName[a] = i
			}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same error for the same input every time
	given := make(map[int]string)
	for _, k := range keys {
		i, ok := byName[k]
		if !ok {
			return unknownField(join(path, k), k, names)
		}
		if other, dup := given[i]; dup && string(obj[other]) != "null" && string(obj[k]) != "null" {
			return memstore.Invalidf(join(path, k), "give one of them", "and %q are the same parameter", other)
		}
		given[i] = k
		if err := decodeValue(join(path, k), obj[k], v.Field(i)); err != nil {
			return err
		}
	}
	return nil
}

func decodeSlice(path string, raw json.RawMessage, v reflect.Value) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		// A lone string where a list of strings is expected is a list of one.
		if v.Type().Elem().Kind() == reflect.String && len(raw) > 0 && raw[0] == '"' {
			items = []json.RawMessage{raw}
		} else {
			return memstore.Invalidf(path, "send a JSON array", "expected a list, got %s", describe(raw))
		}
	}
	s := reflect.MakeSlice(v.Type(), len(items), len(items))
	for i, item := range items {
		if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i)); err != nil {
			return err
		}
	}
	v.Set(s)
	return nil
}

func decodeMap(path string, raw json.RawMessage, v reflect.Value) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return memstore.Invalidf(path, `send an object such as {"source": "web"}`, "expected an object, got %s", describe(raw))
	}
	m := reflect.MakeMapWithSize(v.Type(), len(obj))
	for k, item := range obj {
		ev := reflect.New(v.Type().Elem()).Elem()
		if err := decodeValue(path+"."+k, item, ev); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k), ev)
	}
	v.Set(m)
	return nil
}

// scalarString accepts a string, or a number or boolean written as its literal text.
func scalarString(path string, raw json.RawMessage, want string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9' || string(raw) == "true" || string(raw) == "false") {
		return string(raw), nil
	}
	return "", memstore.Invalidf(path, "send it as "+want, "expected %s, got %s", want, describe(raw))
}

func decodeBool(path string, raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return b, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1", "yes":
			return true, nil
		case "false", "0", "no":
			return false, nil
		}
	}
	return false, memstore.Invalidf(path, "send true or false", "expected true or false, got %s", describe(raw))
}

func decodeInt(path string, raw json.RawMessage) (int64, error) {
	f, err := decodeFloat(path, raw)
	if err != nil {
		return 0, memstore.Invalidf(path, "send a whole number such as 10", "expected a whole number, got %s", describe(raw))
	}
	if f != math.Trunc(f) {
		return 0, memstore.Invalidf(path, "send a whole number such as 10", "expected a whole number, got %s", describe(raw))
	}
	if math.Abs(f) > 1<<53 {
		return 0, memstore.Invalidf(path, "send a smaller number", "%s is far out of range", describe(raw))
	}
	return int64(f), nil
}

func decodeFloat(path string, raw json.RawMessage) (float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil {
		return f, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
	}
	return 0, memstore.Invalidf(path, "send a number such as 0.5", "expected a number, got %s", describe(raw))
}

// describe names the JSON type of raw for error messages, with a short excerpt.
func describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	excerpt := string(raw)
	if len(excerpt) > 40 {
		excerpt = excerpt[:40] + "…"
	}
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "the string " + excerpt
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "the boolean " + excerpt
	case 'n':
		return "null"
	default:
		return "the number " + excerpt
	}
}

func join(path, key string) string {
	if path == "arguments" {
		return key
	}
	return path + "." + key
}

// unknownField explains an argument the tool does not have, suggesting the closest known name.
func unknownField(path, key string, known []string) error {
	best, bestDist := "", 1<<30
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	for _, k := range known {
		d := editDistance(norm(key), norm(k))
		if d < bestDist {
			best, bestDist = k, d
		}
	}
	fix := "the parameters are: " + strings.Join(known, ", ")
	if best != "" && bestDist <= max(2, len(key)/3) {
		fix = fmt.Sprintf("did you mean %q? The parameters are: %s", best, strings.Join(known, ", "))
	}
	return memstore.Invalid(path, "is not a parameter here", fix)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
