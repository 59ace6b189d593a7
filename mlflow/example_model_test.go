package mlflow_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// ParseModelURI splits the three forms of a models:/ URI.
func ExampleParseModelURI() {
	for _, uri := range []string{"models:/fraud/3", "models:/fraud@champion", "models:/main.risk.fraud/latest"} {
		name, version, alias, latest, err := mlflow.ParseModelURI(uri)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s version=%d alias=%q latest=%v\n", name, version, alias, latest)
	}
	_, _, _, _, err := mlflow.ParseModelURI("runs:/abc/model")
	fmt.Println(err != nil)
	// Output:
	// fraud version=3 alias="" latest=false
	// fraud version=0 alias="champion" latest=false
	// main.risk.fraud version=0 alias="" latest=true
	// true
}

// SplitUCName tells a Unity Catalog name from a workspace registry one.
func ExampleSplitUCName() {
	catalog, schema, model, ok := mlflow.SplitUCName("main.risk.fraud")
	fmt.Println(catalog, schema, model, ok)
	_, _, _, ok = mlflow.SplitUCName("fraud")
	fmt.Println(ok)
	// Output:
	// main risk fraud true
	// false
}

// SchemaToSignatureJSON writes the column list MLmodel stores; nullable
// fields are optional.
func ExampleSchemaToSignatureJSON() {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
		{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	text, err := mlflow.SchemaToSignatureJSON(s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(text)
	// Output:
	// [{"type":"double","name":"amount","required":true},{"type":"string","name":"country","required":false}]
}

// SignatureJSONToSchema reads a signature Python MLflow wrote.
func ExampleSignatureJSONToSchema() {
	s, err := mlflow.SignatureJSONToSchema(`[{"type": "long", "name": "age", "required": true}, {"type": "string", "name": "city", "required": false}]`)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range s.Fields() {
		fmt.Println(f.Name, f.Type, f.Nullable)
	}
	// Output:
	// age int64 false
	// city utf8 true
}

// ParseMLmodel reads an MLmodel file as Python MLflow writes it; Marshal
// writes one back.
func ExampleParseMLmodel() {
	m, err := mlflow.ParseMLmodel([]byte(`artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    python_version: 3.11.9
  sklearn:
    sklearn_version: 1.5.0
run_id: 0123456789abcdef0123456789abcdef
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "double", "name": "y", "required": true}]'
utc_time_created: '2024-05-01 09:30:00.000000'
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.ArtifactPath, keys(m.Flavors), m.Signature.Inputs.Field(0).Name, m.UTCTimeCreated.Format("2006-01-02"))
	// Output:
	// model [python_function sklearn] x 2024-05-01
}

// Marshal renders an MLmodel as YAML that ParseMLmodel (and Python
// MLflow) reads back.
func ExampleMLmodel_Marshal() {
	m := &mlflow.MLmodel{
		ArtifactPath: "model",
		Flavors:      map[string]map[string]any{mlflow.GoFlavor: {"data": "weights.json"}},
		RunID:        "0123456789abcdef0123456789abcdef",
	}
	b, err := m.Marshal()
	if err != nil {
		log.Fatal(err)
	}
	back, err := mlflow.ParseMLmodel(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.ArtifactPath, back.RunID == m.RunID, back.Flavors[mlflow.GoFlavor]["data"])
	// Output:
	// model true weights.json
}

// loggedModel logs a model with weights, a signature and an input
// example, and loads it back through LoadModel.
func loggedModel(ctx context.Context, client *mlflow.Client, dir string) *mlflow.Model {
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "weights.json"), []byte(`{"w":2,"b":1}`), 0o644)
	in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, in)
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues([]float64{1.5, 3}, nil)
	example := b.NewRecordBatch()
	defer example.Release()

	run, err := client.StartRun(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer run.End(ctx, nil)
	info, err := run.LogModel(ctx, "model", src, &mlflow.LogModelOptions{
		GoFlavor:     map[string]any{"data": "weights.json"},
		Input:        in,
		InputExample: example,
	})
	if err != nil {
		log.Fatal(err)
	}
	m, err := client.LoadModel(ctx, info.ModelURI, filepath.Join(dir, "loaded"))
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// GoFlavor returns the config LogModelOptions.GoFlavor recorded.
func ExampleModel_GoFlavor() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	m := loggedModel(ctx, client, dir)
	flavor, ok := m.GoFlavor()
	fmt.Println(ok, flavor["data"])
	// Output:
	// true weights.json
}

// Open reads a file of a loaded model.
func ExampleModel_Open() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	m := loggedModel(ctx, client, dir)
	f, err := m.Open("weights.json")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	fmt.Println(string(b))
	// Output:
	// {"w":2,"b":1}
}

// InputExample reads the logged input example back as Arrow.
func ExampleModel_InputExample() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	m := loggedModel(ctx, client, dir)
	rec, err := m.InputExample(memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	defer rec.Release()
	fmt.Println(rec.Schema().Field(0).Name, rec.NumRows(), rec.Column(0))
	// Output:
	// x 2 [1.5 3]
}

// Options print with credentials redacted, so logging them is safe.
func ExampleOptions_String() {
	o := mlflow.Options{Token: "dapi-secret", Username: "alice", Password: "hunter2", MaxRetries: 3}
	s, gs := o.String(), fmt.Sprintf("%#v", o)
	for _, secret := range []string{"dapi-secret", "hunter2"} {
		fmt.Println(secret, "leaked:", strings.Contains(s, secret) || strings.Contains(gs, secret))
	}
	// Output:
	// dapi-secret leaked: false
	// hunter2 leaked: false
}

// %#v goes through GoString, which redacts as String does.
func ExampleOptions_GoString() {
	o := mlflow.Options{Token: "dapi-secret"}
	fmt.Println(strings.Contains(o.GoString(), "dapi-secret"), o.GoString() == fmt.Sprintf("%#v", o))
	// Output:
	// false true
}

// Every failure is an *Error with MLflow's code, matched by the
// sentinels; ErrorCodeOf reads the code.
func ExampleError() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	_, err := client.GetRun(ctx, "0123456789abcdef0123456789abcdef")
	var me *mlflow.Error
	fmt.Println(errors.Is(err, mlflow.ErrNotFound), errors.As(err, &me) && me.Code == mlflow.CodeResourceDoesNotExist, me.HTTPStatus)
	// Output:
	// true true 0
}

// ErrorCodeOf is "" for errors that are not MLflow's.
func ExampleErrorCodeOf() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	_, err := client.CreateExperiment(ctx, "", nil)
	fmt.Println(mlflow.ErrorCodeOf(err))
	fmt.Printf("%q\n", mlflow.ErrorCodeOf(io.EOF))
	// Output:
	// INVALID_PARAMETER_VALUE
	// ""
}

// The message carries MLflow's code and text, as the Python client shows
// them.
func ExampleError_Error() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	_, err := client.GetExperimentByName(ctx, "missing")
	fmt.Println(err)
	// Output:
	// mlflow: RESOURCE_DOES_NOT_EXIST: Could not find experiment with name 'missing'
}

// Is matches the sentinel of the error's code, through wrapping too.
func ExampleError_Is() {
	err := fmt.Errorf("load model: %w", &mlflow.Error{Code: mlflow.CodeResourceDoesNotExist, Message: "no such run"})
	fmt.Println(errors.Is(err, mlflow.ErrNotFound), errors.Is(err, mlflow.ErrAlreadyExists))
	// Output:
	// true false
}
