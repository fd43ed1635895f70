package tools

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
)

// prop adds what struct tags cannot say to one input property: its default, bounds and choices.
type prop struct {
	def      any
	min, max *float64
	enum     []any
	minItems *int
}

func num(f float64) *float64 { return &f }

// inputSchema derives a tool's input schema from its input struct (json names, `jsonschema`
// descriptions, omitempty for optional), then applies props. Each schema is declared once, as the
// struct the handler decodes into, so the published contract and the decoder cannot drift apart.
func inputSchema[T any](props map[string]prop) json.RawMessage {
	s := schemaOf[T]()
	for name, p := range props {
		ps, ok := s.Properties[name]
		if !ok {
			panic(fmt.Sprintf("tools: schema hint for unknown property %q of %T", name, *new(T)))
		}
		if p.def != nil {
			b, _ := json.Marshal(p.def)
			ps.Default = b
		}
		ps.Minimum, ps.Maximum = p.min, p.max
		if p.enum != nil {
			ps.Enum = p.enum
		}
		if p.minItems != nil {
			ps.MinItems = p.minItems
		}
	}
	// Aliases are accepted by the decoder, so the schema admits them too.
	t := reflect.TypeFor[T]()
	for i := range t.NumField() {
		name, aliases := fieldName(t.Field(i))
		for alias := range strings.SplitSeq(aliases, ",") {
			if alias == "" {
				continue
			}
			a := *s.Properties[name]
			a.Description = fmt.Sprintf("Alias of %s.", name)
			s.Properties[alias] = &a
			s.PropertyOrder = append(s.PropertyOrder, alias)
		}
	}
	return marshalSchema(s)
}

// outputSchema derives a tool's output schema from its result type.
func outputSchema[T any]() json.RawMessage { return marshalSchema(schemaOf[T]()) }

// customSchemas describes argument types that decode themselves.
var customSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[idList](): {Type: "array", Items: &jsonschema.Schema{Type: "string"}},
}

func schemaOf[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: customSchemas})
	if err != nil {
		panic(fmt.Sprintf("tools: schema for %T: %v", *new(T), err)) // a programming error, caught by tests
	}
	simplify(s)
	return s
}

// simplify turns the ["null", T] types jsonschema gives pointer fields into plain T: a missing
// or null optional argument is accepted either way, and single types are what clients handle best.
func simplify(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) == 2 && s.Types[0] == "null" {
		s.Type, s.Types = s.Types[1], nil
	}
	for _, p := range s.Properties {
		simplify(p)
	}
	simplify(s.Items)
	if s.AdditionalProperties != nil {
		simplify(s.AdditionalProperties)
	}
}

func marshalSchema(s *jsonschema.Schema) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("tools: marshal schema: %v", err))
	}
	return b
}
