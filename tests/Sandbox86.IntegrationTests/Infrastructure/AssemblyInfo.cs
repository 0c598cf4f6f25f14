// Each test boots or restores real VMs; on a 2-core machine running them in parallel only makes
// every one of them slower and timing-sensitive.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
