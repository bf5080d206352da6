package ogc

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// MergePatch applies a JSON merge patch (RFC 7396) to the JSON object
// target and returns the result: a member of the patch replaces the
// target's, null removes it, and objects merge member by member. Numbers
// are kept as their text, so nothing is rounded. A patch that is not a
// JSON object is a *ParamError: it would replace the whole feature with
// something that is not one.
func MergePatch(target, patch []byte) ([]byte, error) {
	p, err := decodeValue(patch)
	if err != nil {
		return nil, &ParamError{Param: "body", Msg: "is not JSON: " + err.Error()}
	}
	po, ok := p.(map[string]any)
	if !ok {
		return nil, &ParamError{Param: "body", Msg: "a merge patch of a feature must be a JSON object"}
	}
	t, err := decodeValue(target)
	if err != nil {
		return nil, err
	}
	return json.Marshal(merge(t, po))
}

func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("more data after the JSON value")
	}
	return v, nil
}

// merge is RFC 7396's MergePatch(Target, Patch) for an object patch.
func merge(target any, patch map[string]any) any {
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(t, k)
			continue
		}
		if po, ok := v.(map[string]any); ok {
			t[k] = merge(t[k], po)
			continue
		}
		t[k] = v
	}
	return t
}
