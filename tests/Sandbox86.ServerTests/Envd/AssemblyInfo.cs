// The tests share one real VM; on a 2-core machine parallel runs only make them slower.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
