// Topic ids are UUIDs as in Kafka, carried as canonical lowercase strings.
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
