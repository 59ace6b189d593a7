package mlflow_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// registered makes a registered model "fraud" with n versions, each from
// a run of its own that logged a model at "model".
func registered(ctx context.Context, client *mlflow.Client, n int) {
	for range n {
		run, err := client.StartRun(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := run.LogModel(ctx, "model", "", &mlflow.LogModelOptions{RegisteredModelName: "fraud"}); err != nil {
			log.Fatal(err)
		}
		run.End(ctx, nil)
	}
}

// CreateRegisteredModel names a model; versions are added to it later.
func ExampleClient_CreateRegisteredModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	m, err := client.CreateRegisteredModel(ctx, "main.risk.fraud", &mlflow.RegisteredModelOptions{
		Description: "card fraud scorer",
		Tags:        map[string]string{"owner": "risk"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, "|", m.Description, "|", m.Tags["owner"])
	_, err = client.CreateRegisteredModel(ctx, "main.risk.fraud", nil)
	fmt.Println(errors.Is(err, mlflow.ErrAlreadyExists))
	// Output:
	// main.risk.fraud | card fraud scorer | risk
	// true
}

// GetRegisteredModel returns the model with its aliases and latest
// version.
func ExampleClient_GetRegisteredModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 2)
	client.SetAlias(ctx, "fraud", "champion", 1)
	m, err := client.GetRegisteredModel(ctx, "fraud")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name, m.Aliases["champion"], m.LatestVersions[0].Version)
	// Output:
	// fraud 1 2
}

// UpdateRegisteredModel sets the description.
func ExampleClient_UpdateRegisteredModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	client.CreateRegisteredModel(ctx, "fraud", nil)
	m, err := client.UpdateRegisteredModel(ctx, "fraud", "gradient-boosted trees")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Description)
	// Output:
	// gradient-boosted trees
}

// Registered model tags are set and removed by key.
func ExampleClient_SetRegisteredModelTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	client.CreateRegisteredModel(ctx, "fraud", nil)
	client.SetRegisteredModelTag(ctx, "fraud", "owner", "risk")
	if err := client.SetRegisteredModelTag(ctx, "fraud", "pii", "false"); err != nil {
		log.Fatal(err)
	}
	m, _ := client.GetRegisteredModel(ctx, "fraud")
	fmt.Println(keys(m.Tags))
	// Output:
	// [owner pii]
}

// DeleteRegisteredModelTag removes one tag.
func ExampleClient_DeleteRegisteredModelTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	client.CreateRegisteredModel(ctx, "fraud", &mlflow.RegisteredModelOptions{Tags: map[string]string{"owner": "risk", "draft": "yes"}})
	if err := client.DeleteRegisteredModelTag(ctx, "fraud", "draft"); err != nil {
		log.Fatal(err)
	}
	m, _ := client.GetRegisteredModel(ctx, "fraud")
	fmt.Println(keys(m.Tags))
	// Output:
	// [owner]
}

// DeleteRegisteredModel deletes the model and all its versions.
func ExampleClient_DeleteRegisteredModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 2)
	if err := client.DeleteRegisteredModel(ctx, "fraud"); err != nil {
		log.Fatal(err)
	}
	_, err := client.GetRegisteredModel(ctx, "fraud")
	fmt.Println(errors.Is(err, mlflow.ErrNotFound))
	// Output:
	// true
}

// CreateModelVersion adds a run's model as the next version.
func ExampleClient_CreateModelVersion() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	client.CreateRegisteredModel(ctx, "fraud", nil)
	run, _ := client.StartRun(ctx, nil)
	run.LogModel(ctx, "model", "", nil)
	run.End(ctx, nil)
	mv, err := client.CreateModelVersion(ctx, "fraud", "runs:/"+run.ID()+"/model", &mlflow.ModelVersionOptions{Description: "first cut"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mv.Name, mv.Version, mv.RunID == run.ID(), mv.Status, mv.Description)
	// Output:
	// fraud 1 true READY first cut
}

// RegisterModel is mlflow.register_model: it creates the registered model
// on first use.
func ExampleClient_RegisterModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	run.LogModel(ctx, "model", "", nil)
	run.End(ctx, nil)
	for range 2 {
		mv, err := client.RegisterModel(ctx, "runs:/"+run.ID()+"/model", "fraud", nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(mv.Name, mv.Version)
	}
	// Output:
	// fraud 1
	// fraud 2
}

// GetModelVersion returns one version; a deleted or absent one is
// ErrNotFound.
func ExampleClient_GetModelVersion() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	mv, err := client.GetModelVersion(ctx, "fraud", 1)
	fmt.Println(mv.Version, strings.HasSuffix(mv.Source, "/model"), err)
	_, err = client.GetModelVersion(ctx, "fraud", 9)
	fmt.Println(errors.Is(err, mlflow.ErrNotFound))
	// Output:
	// 1 true <nil>
	// true
}

// UpdateModelVersion sets a version's description.
func ExampleClient_UpdateModelVersion() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	mv, err := client.UpdateModelVersion(ctx, "fraud", 1, "trained on May data")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mv.Description)
	// Output:
	// trained on May data
}

// Version tags record validation results and the like.
func ExampleClient_SetModelVersionTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	if err := client.SetModelVersionTag(ctx, "fraud", 1, "validated", "true"); err != nil {
		log.Fatal(err)
	}
	mv, _ := client.GetModelVersion(ctx, "fraud", 1)
	fmt.Println(mv.Tags["validated"])
	// Output:
	// true
}

// DeleteModelVersionTag removes a version tag.
func ExampleClient_DeleteModelVersionTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	client.SetModelVersionTag(ctx, "fraud", 1, "validated", "true")
	if err := client.DeleteModelVersionTag(ctx, "fraud", 1, "validated"); err != nil {
		log.Fatal(err)
	}
	mv, _ := client.GetModelVersion(ctx, "fraud", 1)
	fmt.Println(len(mv.Tags))
	// Output:
	// 0
}

// DeleteModelVersion also drops the aliases that pointed at it.
func ExampleClient_DeleteModelVersion() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 2)
	client.SetAlias(ctx, "fraud", "challenger", 2)
	if err := client.DeleteModelVersion(ctx, "fraud", 2); err != nil {
		log.Fatal(err)
	}
	_, err := client.GetModelVersionByAlias(ctx, "fraud", "challenger")
	m, _ := client.GetRegisteredModel(ctx, "fraud")
	fmt.Println(err != nil, m.LatestVersions[0].Version)
	// Output:
	// true 1
}

// SetAlias points an alias at a version, moving it if needed.
func ExampleClient_SetAlias() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 2)
	for _, v := range []int64{1, 2} {
		if err := client.SetAlias(ctx, "fraud", "production", v); err != nil {
			log.Fatal(err)
		}
		mv, _ := client.GetModelVersionByAlias(ctx, "fraud", "production")
		fmt.Println("production ->", mv.Version, mv.Aliases)
	}
	// Output:
	// production -> 1 [production]
	// production -> 2 [production]
}

// GetModelVersionByAlias resolves an alias; an unknown one is
// ErrAliasNotFound.
func ExampleClient_GetModelVersionByAlias() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 3)
	client.SetAlias(ctx, "fraud", "champion", 2)
	mv, err := client.GetModelVersionByAlias(ctx, "fraud", "champion")
	fmt.Println(mv.Version, err)
	_, err = client.GetModelVersionByAlias(ctx, "fraud", "staging")
	fmt.Println(errors.Is(err, mlflow.ErrAliasNotFound))
	// Output:
	// 2 <nil>
	// true
}

// DeleteAlias removes an alias; the version stays.
func ExampleClient_DeleteAlias() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	client.SetAlias(ctx, "fraud", "champion", 1)
	if err := client.DeleteAlias(ctx, "fraud", "champion"); err != nil {
		log.Fatal(err)
	}
	m, _ := client.GetRegisteredModel(ctx, "fraud")
	_, err := client.GetModelVersion(ctx, "fraud", 1)
	fmt.Println(len(m.Aliases), err)
	// Output:
	// 0 <nil>
}

// GetModelVersionDownloadURI says where a version's files are.
func ExampleClient_GetModelVersionDownloadURI() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 1)
	uri, err := client.GetModelVersionDownloadURI(ctx, "fraud", 1)
	if err != nil {
		log.Fatal(err)
	}
	mv, _ := client.GetModelVersion(ctx, "fraud", 1)
	fmt.Println(strings.HasSuffix(uri, "/model"), strings.Contains(uri, mv.RunID))
	// Output:
	// true true
}

// ResolveModelURI maps models:/ URIs (by version, alias or latest) to
// where the files are.
func ExampleClient_ResolveModelURI() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 2)
	client.SetAlias(ctx, "fraud", "champion", 1)
	v1, _ := client.GetModelVersionDownloadURI(ctx, "fraud", 1)
	v2, _ := client.GetModelVersionDownloadURI(ctx, "fraud", 2)
	for _, uri := range []string{"models:/fraud/1", "models:/fraud@champion", "models:/fraud/latest"} {
		got, err := client.ResolveModelURI(ctx, uri)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(uri, got == v1, got == v2)
	}
	// Output:
	// models:/fraud/1 true false
	// models:/fraud@champion true false
	// models:/fraud/latest false true
}

// SearchRegisteredModels filters on names and tags.
func ExampleClient_SearchRegisteredModels() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	for _, name := range []string{"fraud-cards", "fraud-wire", "churn"} {
		client.CreateRegisteredModel(ctx, name, nil)
	}
	page, err := client.SearchRegisteredModels(ctx, &mlflow.SearchModelsOptions{
		Filter:  "name LIKE 'fraud-%'",
		OrderBy: []string{"name ASC"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range page.Models {
		fmt.Println(m.Name)
	}
	// Output:
	// fraud-cards
	// fraud-wire
}

// SearchModelVersions finds the versions of a model, or of a run.
func ExampleClient_SearchModelVersions() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	registered(ctx, client, 3)
	page, err := client.SearchModelVersions(ctx, &mlflow.SearchModelsOptions{
		Filter:  "name = 'fraud' and version_number >= 2",
		OrderBy: []string{"version_number DESC"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, v := range page.Versions {
		fmt.Println(v.Name, v.Version)
	}
	// Output:
	// fraud 3
	// fraud 2
}

// LogModel with LoggedModel records an MLflow 3 LoggedModel, addressed as
// models:/<model id>; GetLoggedModel reads it back.
func ExampleClient_GetLoggedModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "fraud"})
	info, err := client.LogModel(ctx, run.ID(), "scorer", "", &mlflow.LogModelOptions{LoggedModel: true, ModelType: "classifier"})
	if err != nil {
		log.Fatal(err)
	}
	run.End(ctx, nil)
	lm, err := client.GetLoggedModel(ctx, info.LoggedModel.ModelID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(lm.Name, lm.ModelType, lm.Status, lm.SourceRunID == run.ID(), strings.HasPrefix(lm.ModelID, "m-"))
	fmt.Println(info.ModelURI == "models:/"+lm.ModelID)
	// Output:
	// scorer classifier READY true true
	// true
}

// Client.LogModel logs a model for a run given by id, and may register
// it in the same call.
func ExampleClient_LogModel() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	info, err := client.LogModel(ctx, r.Info.RunID, "model", "", &mlflow.LogModelOptions{
		GoFlavor:            map[string]any{"entrypoint": "score"},
		RegisteredModelName: "fraud",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Version.Name, info.Version.Version, info.MLmodel.Flavors[mlflow.GoFlavor]["entrypoint"])
	// Output:
	// fraud 1 score
}
