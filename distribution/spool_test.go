package distribution

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

func TestSpoolFollowsWriter(t *testing.T) {
	tests := []struct {
		name    string
		chunks  []string
		finish  error
		want    string
		wantErr error
	}{
		{"complete", []string{"ab", "cd", "ef"}, nil, "abcdef", nil},
		{"empty", nil, nil, "", nil},
		{"failed after data", []string{"abc"}, errors.New("digest mismatch"), "abc", errors.New("digest mismatch")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSpool(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			go func() {
				for _, c := range tc.chunks {
					time.Sleep(5 * time.Millisecond)
					s.Write([]byte(c))
				}
				s.finish(tc.finish)
			}()
			var buf bytes.Buffer
			_, err = io.Copy(&buf, s.reader())
			if buf.String() != tc.want {
				t.Errorf("read %q, want %q", buf.String(), tc.want)
			}
			if (err == nil) != (tc.wantErr == nil) || (err != nil && err.Error() != tc.wantErr.Error()) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}
