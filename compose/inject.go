package compose

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/client"
)

// injectFiles copies configs and secrets given inline (content:) or from
// the environment (environment:) into a created container; file-based
// ones are bind mounts (see volumeMounts).
func (s *Service) injectFiles(ctx context.Context, p *types.Project, svc types.ServiceConfig, id string) error {
	type file struct {
		target string
		ref    types.FileReferenceConfig
		obj    types.FileObjectConfig
	}
	var files []file
	for _, c := range svc.Configs {
		obj := p.Configs[c.Source]
		if obj.File != "" {
			continue
		}
		t := c.Target
		if t == "" {
			t = "/" + c.Source
		}
		files = append(files, file{t, types.FileReferenceConfig(c), types.FileObjectConfig(obj)})
	}
	for _, sc := range svc.Secrets {
		obj := p.Secrets[sc.Source]
		if obj.File != "" {
			continue
		}
		files = append(files, file{secretTarget(sc), types.FileReferenceConfig(sc), types.FileObjectConfig(obj)})
	}
	for _, f := range files {
		content := f.obj.Content
		if f.obj.Environment != "" {
			v, ok := p.Environment[f.obj.Environment]
			if !ok {
				return fmt.Errorf("environment variable %q required by file %q is not set", f.obj.Environment, f.obj.Name)
			}
			content = v
		}
		mode := int64(0o444)
		if f.ref.Mode != nil {
			mode = int64(*f.ref.Mode)
		}
		uid, _ := strconv.Atoi(f.ref.UID)
		gid, _ := strconv.Atoi(f.ref.GID)
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		dir := filepath.Dir(f.target)
		var parts []string
		for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
			parts = append([]string{strings.TrimPrefix(d, "/") + "/"}, parts...)
		}
		for _, d := range parts {
			_ = tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)})
		}
		_ = tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(f.target, "/"), Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(content)), Uid: uid, Gid: gid, ModTime: time.Unix(0, 0)})
		_, _ = tw.Write([]byte(content))
		if err := tw.Close(); err != nil {
			return err
		}
		// The tar carries the owner; CopyUIDGID would make dockerd look the
		// container's user up in its passwd and fail for a bare uid.
		if _, err := s.API.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
			return fmt.Errorf("copy %s into %s: %w", f.target, id, err)
		}
	}
	return nil
}
