/**
 * libvirt-rpc/xml: libvirt's XML documents as typed values, generated from libvirt's RelaxNG
 * schemas. Sixteen kinds, each with its types and `parse<Kind>XML` / `format<Kind>XML`;
 * nothing the types do not model is lost between the two.
 *
 * @example
 * ```ts
 * import { formatDomainXML, parseDomainXML } from 'libvirt-rpc/xml';
 * const def = parseDomainXML(await dom.getXMLDesc({ inactive: true }));
 * def.memory = { unit: 'MiB', value: 512 };
 * await conn.domains.defineXML(formatDomainXML(def));
 * ```
 */
export * from '../xml/index.js';
