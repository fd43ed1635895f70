package qdranttest

import (
	"strconv"
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"
)

// A payload path is Qdrant's JSON path: dot-separated keys, each optionally
// followed by "[]" (every element of an array) or "[N]" (one element), e.g.
// "info.city", "tags[]", "friends[].name", "matrix[0][1]". Quoted keys
// ("a.\"b.c\"") are not modelled.
type step struct {
	key   string
	index int // stepKey, stepAll or an array index >= 0
}

const (
	stepKey = -1
	stepAll = -2
)

func parsePath(key string) ([]step, error) {
	if key == "" {
		return nil, wrongInput("payload key must not be empty")
	}
	if strings.ContainsRune(key, '"') {
		return nil, unmodelled("quoted payload keys are not modelled: %q", key)
	}
	var out []step
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name == "" {
			return nil, wrongInput("invalid payload key %q", key)
		}
		out = append(out, step{key: name, index: stepKey})
		if rest == "" && !strings.Contains(part, "[") {
			continue
		}
		for _, br := range strings.Split("["+rest, "[")[1:] {
			inner, ok := strings.CutSuffix(br, "]")
			if !ok {
				return nil, wrongInput("invalid payload key %q", key)
			}
			if inner == "" {
				out = append(out, step{index: stepAll})
				continue
			}
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 {
				return nil, wrongInput("invalid payload key %q", key)
			}
			out = append(out, step{index: n})
		}
	}
	return out, nil
}

// valuesAt returns the values at path, following [local]
// payload_value_extractor.value_by_key: a key step only descends into
// objects (no implicit traversal of arrays: use "[]"); with flat, an array
// found at the end of the path contributes its elements (so a condition on an
// array field matches when any element matches [docs Filtering]).
func valuesAt(payload map[string]*qdrant.Value, path []step, flat bool) []*qdrant.Value {
	var out []*qdrant.Value
	var walk func(v *qdrant.Value, rest []step)
	walk = func(v *qdrant.Value, rest []step) {
		st, last := rest[0], len(rest) == 1
		switch st.index {
		case stepKey:
			s := v.GetStructValue()
			if s == nil {
				return
			}
			child, ok := s.GetFields()[st.key]
			if !ok {
				return
			}
			if !last {
				walk(child, rest[1:])
			} else if l := child.GetListValue(); flat && l != nil {
				out = append(out, l.GetValues()...)
			} else {
				out = append(out, child)
			}
		case stepAll:
			l := v.GetListValue()
			if l == nil {
				return
			}
			if last {
				out = append(out, l.GetValues()...)
				return
			}
			for _, e := range l.GetValues() {
				walk(e, rest[1:])
			}
		default:
			l := v.GetListValue()
			if l == nil || st.index >= len(l.GetValues()) {
				return
			}
			if last {
				out = append(out, l.GetValues()[st.index])
			} else {
				walk(l.GetValues()[st.index], rest[1:])
			}
		}
	}
	walk(&qdrant.Value{Kind: &qdrant.Value_StructValue{StructValue: &qdrant.Struct{Fields: payload}}}, path)
	return out
}

func isNullValue(v *qdrant.Value) bool {
	_, ok := v.GetKind().(*qdrant.Value_NullValue)
	return ok
}

// checkValue rejects a payload Value without a kind (at any depth): the proto
// says "absence of any variant indicates an error".
func checkValue(key string, v *qdrant.Value) error {
	switch k := v.GetKind().(type) {
	case nil:
		return invalidArg("Unable to convert payload value of key %q: value has no kind", key)
	case *qdrant.Value_StructValue:
		for f, c := range k.StructValue.GetFields() {
			if err := checkValue(key+"."+f, c); err != nil {
				return err
			}
		}
	case *qdrant.Value_ListValue:
		for _, c := range k.ListValue.GetValues() {
			if err := checkValue(key+"[]", c); err != nil {
				return err
			}
		}
	}
	return nil
}

func clonePayload(p map[string]*qdrant.Value) map[string]*qdrant.Value {
	out := make(map[string]*qdrant.Value, len(p))
	for k, v := range p {
		out[k] = proto.Clone(v).(*qdrant.Value)
	}
	return out
}

// payloadSel is a parsed WithPayloadSelector.
type payloadSel struct {
	enabled bool
	include [][]string // nil: whole payload
	exclude [][]string
}

// parsePayloadSel: unset selector -> def (Qdrant's default: true for Scroll,
// false for Get and Query [points.rs, points_common.rs]); enable; include or
// exclude of object paths ("info.city" projects {"info":{"city":…}}).
func parsePayloadSel(sel *qdrant.WithPayloadSelector, def bool) (payloadSel, error) {
	if sel == nil {
		return payloadSel{enabled: def}, nil
	}
	paths := func(fields []string) ([][]string, error) {
		var out [][]string
		for _, f := range fields {
			p, err := parsePath(f)
			if err != nil {
				return nil, err
			}
			keys := make([]string, len(p))
			for i, st := range p {
				if st.index != stepKey {
					return nil, unmodelled("array paths in with_payload include/exclude are not modelled: %q", f)
				}
				keys[i] = st.key
			}
			out = append(out, keys)
		}
		return out, nil
	}
	switch v := sel.GetSelectorOptions().(type) {
	case *qdrant.WithPayloadSelector_Enable:
		return payloadSel{enabled: v.Enable}, nil
	case *qdrant.WithPayloadSelector_Include:
		inc, err := paths(v.Include.GetFields())
		return payloadSel{enabled: true, include: append([][]string{}, inc...)}, err
	case *qdrant.WithPayloadSelector_Exclude:
		exc, err := paths(v.Exclude.GetFields())
		return payloadSel{enabled: true, exclude: exc}, err
	}
	return payloadSel{}, invalidArg("No PayloadSelector")
}

func (ps payloadSel) apply(p map[string]*qdrant.Value) map[string]*qdrant.Value {
	if !ps.enabled {
		return nil
	}
	if ps.include == nil {
		out := clonePayload(p)
		for _, path := range ps.exclude {
			m := out
			for i, k := range path {
				if i == len(path)-1 {
					delete(m, k)
					break
				}
				s := m[k].GetStructValue()
				if s == nil {
					break
				}
				m = s.GetFields()
			}
		}
		return out
	}
	out := map[string]*qdrant.Value{}
	for _, path := range ps.include {
		steps := make([]step, len(path))
		for i, k := range path {
			steps[i] = step{key: k, index: stepKey}
		}
		found := valuesAt(p, steps, false)
		if len(found) == 0 {
			continue
		}
		m := out
		for _, k := range path[:len(path)-1] {
			if m[k].GetStructValue() == nil {
				m[k] = qdrant.NewValueStruct(&qdrant.Struct{Fields: map[string]*qdrant.Value{}})
			}
			if m[k].GetStructValue().Fields == nil {
				m[k].GetStructValue().Fields = map[string]*qdrant.Value{}
			}
			m = m[k].GetStructValue().Fields
		}
		m[path[len(path)-1]] = proto.Clone(found[0]).(*qdrant.Value)
	}
	return out
}

// vectorSel is a parsed WithVectorsSelector: nil names means all vectors.
type vectorSel struct {
	enabled bool
	names   map[string]bool
}

func parseVectorSel(sel *qdrant.WithVectorsSelector, c *collection) (vectorSel, error) {
	switch v := sel.GetSelectorOptions().(type) {
	case nil:
		if sel != nil {
			return vectorSel{}, invalidArg("No VectorsSelector")
		}
		return vectorSel{}, nil // default: no vectors
	case *qdrant.WithVectorsSelector_Enable:
		return vectorSel{enabled: v.Enable}, nil
	case *qdrant.WithVectorsSelector_Include:
		names := map[string]bool{}
		for _, n := range v.Include.GetNames() {
			_, d := c.dense[n]
			_, s := c.sparse[n]
			if !d && !s {
				// DOUBLE CHOICE: an unknown name is an error, not silently ignored.
				return vectorSel{}, wrongInput("Not existing vector name error: %s", n)
			}
			names[n] = true
		}
		return vectorSel{enabled: true, names: names}, nil
	}
	return vectorSel{}, nil
}

// output renders the selected vectors. The unnamed vector of a collection
// created with a single VectorParams comes back as VectorsOutput.vector,
// everything else as the named map. Vectors are filled in the deprecated
// `data` (+ `indices` for sparse) fields, as Qdrant's
// From<VectorInternal> for grpc::VectorOutput does; read them with the
// client's VectorOutput.GetDenseVector()/GetSparseVector(), which read both
// forms. To confirm: a newer server might fill the `vector` oneof instead.
func (vs vectorSel) output(c *collection, p *point) *qdrant.VectorsOutput {
	if !vs.enabled {
		return nil
	}
	named := map[string]*qdrant.VectorOutput{}
	for n, v := range p.dense {
		if vs.names == nil || vs.names[n] {
			named[n] = &qdrant.VectorOutput{Data: append([]float32(nil), v...)}
		}
	}
	for n, v := range p.sparse {
		if vs.names == nil || vs.names[n] {
			named[n] = &qdrant.VectorOutput{
				Data:    append([]float32(nil), v.values...),
				Indices: &qdrant.SparseIndices{Data: append([]uint32(nil), v.indices...)},
			}
		}
	}
	if len(named) == 0 {
		return nil
	}
	if v, ok := named[""]; ok && len(named) == 1 && c.unnamed {
		return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vector{Vector: v}}
	}
	return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vectors{Vectors: &qdrant.NamedVectorsOutput{Vectors: named}}}
}
