// Command gotemplate-golden renders the template corpus with Go's own text/template and writes the
// expected outputs (or exact error texts) that the TypeScript engine is tested against.
//
// Usage: go run . CORPUS_DIR GOLDEN_DIR
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"text/template"
	"time"

	"vmango/gotemplate-golden/models"
)

type corpusCase struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Data     json.RawMessage `json:"data"`
	Fails    bool            `json:"fails"`
}

type corpusFile struct {
	Cases []corpusCase `json:"cases"`
}

type goldenCase struct {
	Name   string  `json:"name"`
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

type goldenFile struct {
	Cases []goldenCase `json:"cases"`
}

// T is a struct type with methods, for method-call cases ({"$T": {"X": 1, "S": "s"}}).
type T struct {
	X int
	S string
}

func (t *T) Double() int              { return 2 * t.X }
func (t *T) Greet(name string) string { return "hi " + name + " from " + t.S }
func (t *T) Fail() (string, error)    { return "", errors.New("method failed") }
func (t *T) Sum(a int, b int) int     { return a + b }

var funcs = map[string]interface{}{
	"add":   func(a, b int) int { return a + b },
	"hello": func() string { return "hello" },
	"fail":  func() (string, error) { return "", errors.New("func failed") },
}

// decode turns the tagged JSON data encoding into Go values (see test/gotemplate/corpus/README.md).
func decode(raw json.RawMessage) (interface{}, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v interface{}
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return build(v)
}

func build(v interface{}) (interface{}, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return int(i), nil
		}
		f, err := x.Float64()
		return f, err
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			b, err := build(e)
			if err != nil {
				return nil, err
			}
			out[i] = b
		}
		return out, nil
	case map[string]interface{}:
		if len(x) != 1 {
			return nil, fmt.Errorf("tagged value must have exactly one key, got %v", x)
		}
		for tag, body := range x {
			return buildTagged(tag, body)
		}
	}
	return nil, fmt.Errorf("cannot build %T", v)
}

func buildTagged(tag string, body interface{}) (interface{}, error) {
	switch tag {
	case "$float":
		f, err := body.(json.Number).Float64()
		return f, err
	case "$uint64":
		var u uint64
		_, err := fmt.Sscan(string(body.(json.Number)), &u)
		return u, err
	case "$int64":
		var i int64
		_, err := fmt.Sscan(body.(string), &i)
		return i, err
	case "$map":
		m := map[string]interface{}{}
		for k, e := range body.(map[string]interface{}) {
			b, err := build(e)
			if err != nil {
				return nil, err
			}
			m[k] = b
		}
		return m, nil
	case "$intmap":
		m := map[int]interface{}{}
		for _, pair := range body.([]interface{}) {
			p := pair.([]interface{})
			k, _ := p[0].(json.Number).Int64()
			b, err := build(p[1])
			if err != nil {
				return nil, err
			}
			m[int(k)] = b
		}
		return m, nil
	case "$struct":
		pairs := body.([]interface{})
		fields := make([]reflect.StructField, len(pairs))
		values := make([]interface{}, len(pairs))
		for i, pair := range pairs {
			p := pair.([]interface{})
			b, err := build(p[1])
			if err != nil {
				return nil, err
			}
			typ := reflect.TypeOf((*interface{})(nil)).Elem()
			if b != nil {
				typ = reflect.TypeOf(b)
			}
			fields[i] = reflect.StructField{Name: p[0].(string), Type: typ}
			values[i] = b
		}
		st := reflect.New(reflect.StructOf(fields)).Elem()
		for i, b := range values {
			if b != nil {
				st.Field(i).Set(reflect.ValueOf(b))
			}
		}
		return st.Interface(), nil
	case "$T":
		m := body.(map[string]interface{})
		x, _ := m["X"].(json.Number).Int64()
		return &T{X: int(x), S: m["S"].(string)}, nil
	case "$func":
		f, ok := funcs[body.(string)]
		if !ok {
			return nil, fmt.Errorf("unknown func %q", body)
		}
		return f, nil
	case "$time":
		return time.Parse(time.RFC3339Nano, body.(string))
	case "$vmango":
		return buildVmango(body.(map[string]interface{}))
	}
	return nil, fmt.Errorf("unknown tag %q", tag)
}

func str(m map[string]interface{}, k string) string {
	if s, ok := m[k].(string); ok {
		return s
	}
	return ""
}

func integer(m map[string]interface{}, k string) int {
	if n, ok := m[k].(json.Number); ok {
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

var formats = map[string]int{"unknown": models.IMAGE_FMT_UNKNOWN, "raw": models.IMAGE_FMT_RAW, "qcow2": models.IMAGE_FMT_QCOW2}

// buildVmango mirrors vmangoTemplateContext in server/machines/template-context.ts.
func buildVmango(in map[string]interface{}) (interface{}, error) {
	m := in["machine"].(map[string]interface{})
	img := in["image"].(map[string]interface{})
	plan := in["plan"].(map[string]interface{})
	vm := &models.VirtualMachine{
		Id: str(m, "id"), Name: str(m, "name"), Plan: str(m, "plan"), Creator: str(m, "creator"),
		Userdata: str(m, "userdata"), OS: str(m, "os"), Arch: models.ParseHWArch(str(m, "arch")),
		State: models.STATE_UNKNOWN, Memory: integer(m, "memoryBytes"), Cpus: integer(m, "cpus"),
		ImageId: str(m, "imageId"), HWAddr: str(m, "hwaddr"), VNCAddr: str(m, "vncAddr"),
		SSHKeys: []*models.SSHKey{},
	}
	if ip, ok := m["ip"].(string); ok {
		vm.Ip = &models.IP{Address: ip}
	}
	for _, k := range m["sshKeys"].([]interface{}) {
		km := k.(map[string]interface{})
		vm.SSHKeys = append(vm.SSHKeys, &models.SSHKey{Name: str(km, "name"), Public: str(km, "public")})
	}
	date, err := time.Parse(time.RFC3339Nano, str(img, "date"))
	if err != nil {
		return nil, err
	}
	image := &models.Image{
		Id: str(img, "id"), OS: str(img, "os"), Arch: models.ParseHWArch(str(img, "arch")),
		Size: uint64(integer(img, "sizeBytes")), Type: formats[str(img, "format")], Date: date.UTC(),
		PoolName: str(img, "poolName"),
	}
	p := &models.Plan{Name: str(plan, "name"), Memory: integer(plan, "memoryBytes"), Cpus: integer(plan, "cpus"), DiskSize: integer(plan, "diskSizeBytes")}
	return struct {
		Machine    *models.VirtualMachine
		Image      *models.Image
		Plan       *models.Plan
		VolumePath string
		Network    string
		Metadata   string
	}{vm, image, p, str(in, "volumePath"), str(in, "network"), str(in, "metadata")}, nil
}

func render(c corpusCase) goldenCase {
	g := goldenCase{Name: c.Name}
	fail := func(err error) goldenCase {
		s := err.Error()
		g.Error = &s
		return g
	}
	data, err := decode(c.Data)
	if err != nil {
		fmt.Fprintf(os.Stderr, "case %q: bad data: %v\n", c.Name, err)
		os.Exit(2)
	}
	tmpl, err := template.New(c.Name).Parse(c.Template)
	if err != nil {
		return fail(err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return fail(err)
	}
	out := buf.String()
	g.Output = &out
	return g
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run . CORPUS_DIR GOLDEN_DIR")
		os.Exit(2)
	}
	corpusDir, goldenDir := os.Args[1], os.Args[2]
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil {
		panic(err)
	}
	sort.Strings(files)
	mismatches := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var cf corpusFile
		if err := json.Unmarshal(raw, &cf); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", f, err)
			os.Exit(2)
		}
		var gf goldenFile
		for _, c := range cf.Cases {
			g := render(c)
			if c.Fails != (g.Error != nil) {
				fmt.Fprintf(os.Stderr, "%s: case %q: fails=%v but Go says error=%v\n", f, c.Name, c.Fails, g.Error != nil)
				mismatches++
			}
			gf.Cases = append(gf.Cases, g)
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(gf); err != nil {
			panic(err)
		}
		if err := os.WriteFile(filepath.Join(goldenDir, filepath.Base(f)), out.Bytes(), 0o644); err != nil {
			panic(err)
		}
	}
	if mismatches > 0 {
		fmt.Fprintf(os.Stderr, "%d cases disagree with their fails flag\n", mismatches)
		os.Exit(1)
	}
}
