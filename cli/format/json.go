package format

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"unicode"
)

// MarshalJSON encodes a method-based row (a pointer to a struct) as a JSON
// object of its exported zero-argument, single-result methods, which is
// what docker prints for "--format json". Use it to implement
// json.Marshaler on row types.
func MarshalJSON(row any) ([]byte, error) {
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("expected a pointer to a struct, got %T", row)
	}
	m := map[string]any{}
	t := v.Type()
	for i := 0; i < v.NumMethod(); i++ {
		meth := t.Method(i)
		fn := v.Method(i)
		ft := fn.Type()
		if !unicode.IsUpper(rune(meth.Name[0])) || ft.NumIn() != 0 || ft.NumOut() != 1 {
			continue
		}
		if meth.Name == "MarshalJSON" || meth.Name == "FullHeader" {
			continue
		}
		m[meth.Name] = fn.Call(nil)[0].Interface()
	}
	if len(m) == 0 {
		return nil, errors.New("row has no exported accessor methods")
	}
	return json.Marshal(m)
}
