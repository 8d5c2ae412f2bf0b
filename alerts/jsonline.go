package alerts

import (
	"encoding/json"

	"github.com/vigil-dev/vigil/export"
)

// MarshalLine encodes v as JSON on one line that is safe to print on a
// terminal: besides what JSON escapes, DEL, C1 controls, bidirectional
// controls and line separators inside strings are written as \uXXXX, as
// the exports write them (export.AppendLineSafeJSON).
func MarshalLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return export.AppendLineSafeJSON(nil, b), nil
}
