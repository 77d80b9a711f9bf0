package facts

import (
	"reflect"
	"strings"
)

// Normalize replaces nil lists and maps in d with empty ones wherever the
// field is always written (no omitempty), so the document says `[]`, never
// `null`: the schema refuses null lists, because a policy iterating over
// null sees no violations where it should see an error.
func Normalize(d *Document) {
	normalize(reflect.ValueOf(d).Elem())
}

func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			normalize(v.Index(i))
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			// Map values are not addressable: normalise a copy and put it back.
			cp := reflect.New(iter.Value().Type()).Elem()
			cp.Set(iter.Value())
			normalize(cp)
			v.SetMapIndex(iter.Key(), cp)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			always := !strings.Contains(opts, "omitempty")
			switch {
			case always && fv.Kind() == reflect.Slice && fv.IsNil():
				fv.Set(reflect.MakeSlice(fv.Type(), 0, 0))
			case always && fv.Kind() == reflect.Map && fv.IsNil():
				fv.Set(reflect.MakeMap(fv.Type()))
			default:
				normalize(fv)
			}
		}
	}
}
