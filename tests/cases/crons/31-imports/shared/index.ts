export { REGION_LIST as REGIONS } from "./regions";
