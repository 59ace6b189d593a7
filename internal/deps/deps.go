package deps

import (
	_ "github.com/RoaringBitmap/roaring/v2/roaring64"
	_ "github.com/apache/arrow-go/v18/arrow"
	_ "github.com/apache/arrow-go/v18/arrow/compute"
	_ "github.com/apache/arrow-go/v18/parquet/pqarrow"
	_ "github.com/fsouza/fake-gcs-server/fakestorage"
	_ "github.com/google/uuid"
	_ "github.com/johannesboyne/gofakes3"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/parquet-go/parquet-go"
	_ "github.com/stretchr/testify/require"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
	_ "golang.org/x/sync/errgroup"
	_ "gopkg.in/yaml.v3"
)
