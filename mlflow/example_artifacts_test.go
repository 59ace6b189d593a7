package mlflow_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// LogArtifact uploads one local file, keeping its base name.
func ExampleClient_LogArtifact() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	local := filepath.Join(dir, "features.json")
	os.WriteFile(local, []byte(`["age","income"]`), 0o644)
	r, _ := client.CreateRun(ctx, nil)
	if err := client.LogArtifact(ctx, r.Info.RunID, local, ""); err != nil {
		log.Fatal(err)
	}
	files, _ := client.ListArtifacts(ctx, r.Info.RunID, "")
	fmt.Println(files[0].Path, files[0].IsDir, files[0].FileSize)
	// Output:
	// features.json false 16
}

// LogArtifacts uploads a directory recursively.
func ExampleClient_LogArtifacts() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	src := filepath.Join(dir, "report")
	os.MkdirAll(filepath.Join(src, "img"), 0o755)
	os.WriteFile(filepath.Join(src, "index.html"), []byte("<html/>"), 0o644)
	os.WriteFile(filepath.Join(src, "img", "a.png"), []byte("png"), 0o644)
	r, _ := client.CreateRun(ctx, nil)
	if err := client.LogArtifacts(ctx, r.Info.RunID, src, "report"); err != nil {
		log.Fatal(err)
	}
	files, _ := client.ListArtifacts(ctx, r.Info.RunID, "report")
	for _, f := range files {
		fmt.Println(f.Path, f.IsDir)
	}
	// Output:
	// report/img true
	// report/index.html false
}

// LogText stores a string as an artifact file.
func ExampleClient_LogText() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	if err := client.LogText(ctx, r.Info.RunID, "loaded 42 rows\n", "notes/summary.txt"); err != nil {
		log.Fatal(err)
	}
	local, err := client.DownloadArtifacts(ctx, r.Info.RunID, "notes/summary.txt", filepath.Join(dir, "dl"))
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(local)
	fmt.Print(string(b))
	// Output:
	// loaded 42 rows
}

// ListArtifacts lists the direct children of a path.
func ExampleClient_ListArtifacts() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	for _, p := range []string{"a.txt", "eval/b.txt", "eval/deep/c.txt"} {
		client.LogText(ctx, r.Info.RunID, "x", p)
	}
	for _, path := range []string{"", "eval"} {
		files, err := client.ListArtifacts(ctx, r.Info.RunID, path)
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			fmt.Printf("%q: %s dir=%v\n", path, f.Path, f.IsDir)
		}
	}
	// Output:
	// "": a.txt dir=false
	// "": eval dir=true
	// "eval": eval/b.txt dir=false
	// "eval": eval/deep dir=true
}

// DownloadArtifacts copies a run's artifacts ("" = all) to a local
// directory.
func ExampleClient_DownloadArtifacts() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	client.LogText(ctx, r.Info.RunID, "1", "eval/a.txt")
	client.LogText(ctx, r.Info.RunID, "2", "eval/b.txt")
	dst := filepath.Join(dir, "download")
	local, err := client.DownloadArtifacts(ctx, r.Info.RunID, "eval", dst)
	if err != nil {
		log.Fatal(err)
	}
	entries, _ := os.ReadDir(local)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	fmt.Println(strings.HasPrefix(local, dst))
	// Output:
	// a.txt
	// b.txt
	// true
}

// DownloadURI fetches what a runs:/ (or models:/) URI names.
func ExampleClient_DownloadURI() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	client.LogText(ctx, r.Info.RunID, "threshold: 0.7\n", "config/serve.yaml")
	local, err := client.DownloadURI(ctx, "runs:/"+r.Info.RunID+"/config/serve.yaml", filepath.Join(dir, "dl"))
	if err != nil {
		log.Fatal(err)
	}
	b, _ := os.ReadFile(local)
	fmt.Print(filepath.Base(local), ": ", string(b))
	// Output:
	// serve.yaml: threshold: 0.7
}
