// Each class restores a real VM in a real browser; on a 2-core machine running them in parallel only makes
// every one of them slower and timing-sensitive.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
