package facts

import (
	_ "embed"
	"reflect"
	"strings"
	"time"
)

// SchemaJSON is the JSON Schema (draft 2020-12) of the facts document,
// generated from these types and checked in as facts.v1.schema.json.
//
//go:embed facts.v1.schema.json
var SchemaJSON []byte

// GenerateSchema derives the JSON Schema from the Go types, so the schema
// and the collectors cannot drift apart: fields without omitempty are
// required, lists and maps are never null, and objects admit no other
// properties (see docs/facts.md, "Versions", for why).
func GenerateSchema() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	root := g.object(reflect.TypeOf(Document{}))
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://gopolicy.dev/schema/facts/v1.json"
	root["title"] = "gopolicy facts document " + SchemaVersion
	props := root["properties"].(map[string]any)
	props["schema"] = map[string]any{"const": SchemaVersion}
	root["$defs"] = g.defs
	return root
}

type schemaGen struct{ defs map[string]any }

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) typeSchema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		return g.typeSchema(t.Elem())
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typeSchema(t.Elem())}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.Struct:
		if _, ok := g.defs[t.Name()]; !ok {
			g.defs[t.Name()] = true // reserve against recursion
			g.defs[t.Name()] = g.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	}
	panic("facts schema: unsupported type " + t.String())
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		// Lists and maps are never null: Normalize writes empty ones as []
		// and {}, and a null where policies iterate would read as "nothing
		// wrong".
		props[name] = g.typeSchema(f.Type)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}
