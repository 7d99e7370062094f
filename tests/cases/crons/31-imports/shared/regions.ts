export const REGION_LIST = ["eu", "us"];
