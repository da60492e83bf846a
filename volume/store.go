package volume

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucket = []byte("volumes")

// record is what the database keeps per volume; the mountpoint is derived
// from the root so a moved data root keeps working.
type record struct {
	Name      string
	Driver    string
	CreatedAt time.Time
	Labels    map[string]string `json:",omitempty"`
	Options   map[string]string `json:",omitempty"`
	// LabelsSet/OptionsSet remember an empty-but-present map (API {} vs null).
	LabelsSet  bool `json:",omitempty"`
	OptionsSet bool `json:",omitempty"`
}

func toRecord(v *Volume) record {
	return record{
		Name: v.Name, Driver: v.Driver, CreatedAt: v.CreatedAt,
		Labels: v.Labels, Options: v.Options,
		LabelsSet: v.Labels != nil, OptionsSet: v.Options != nil,
	}
}

func (r record) volume() *Volume {
	v := &Volume{Name: r.Name, Driver: r.Driver, CreatedAt: r.CreatedAt, Labels: r.Labels, Options: r.Options}
	if v.Labels == nil && r.LabelsSet {
		v.Labels = map[string]string{}
	}
	if v.Options == nil && r.OptionsSet {
		v.Options = map[string]string{}
	}
	_, v.Anonymous = v.Labels[AnonymousLabel]
	return v
}

func (s *Service) readRecords() (map[string]*Volume, error) {
	out := map[string]*Volume{}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, data []byte) error {
			var r record
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("volume %s: %w", k, err)
			}
			out[r.Name] = r.volume()
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load volumes: %w", err)
	}
	return out, nil
}

func putRecordTx(tx *bolt.Tx, v *Volume) error {
	data, err := json.Marshal(toRecord(v))
	if err != nil {
		return fmt.Errorf("encode volume %s: %w", v.Name, err)
	}
	return tx.Bucket(bucket).Put([]byte(v.Name), data)
}

func (s *Service) putRecord(v *Volume) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putRecordTx(tx, v) })
}

// ctime is Docker's CreatedAt for volumes it only knows from disk.
func ctime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Now()
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Ctim.Unix())
	}
	return fi.ModTime()
}
